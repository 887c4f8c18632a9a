// src/errors.ts
// The one registry of error codes: each HD_ERR_* code has a stable reason, an HTTP status and a
// WebSocket close code. docs/errors.md lists the same table; test/unit/errors.test.ts keeps them in step.
// Codes are never reused or renamed once shipped.

export interface ErrorSpec {
  /** Short snake_case reason: the `error` field of a JSON body and the WebSocket close reason. */
  readonly reason: string
  readonly status: number
  readonly close: number
  /** What happened, in a sentence; the detail of a particular error may say more. */
  readonly meaning: string
}

export const ERRORS = {
  // ── trust: decided once, by the policy, for REST and WebSockets alike ──
  HD_ERR_PEER_NOT_ALLOWED: {
    reason: 'peer_not_allowed', status: 403, close: 4408,
    meaning: 'The address that opened the connection may not use the dashboard in this trust mode.',
  },
  HD_ERR_HOST_NOT_ALLOWED: {
    reason: 'host_not_allowed', status: 403, close: 4403,
    meaning: 'The Host (or X-Forwarded-Host) names a host the dashboard does not answer to; this blocks DNS rebinding.',
  },
  HD_ERR_ORIGIN_NOT_ALLOWED: {
    reason: 'origin_not_allowed', status: 403, close: 4403,
    meaning: 'The Origin is a web page on a host the dashboard does not answer to, or a non-web origin without an explicit token.',
  },
  HD_ERR_CORS_PREFLIGHT_REFUSED: {
    reason: 'cors_preflight_refused', status: 403, close: 4403,
    meaning: 'A cross-origin preflight was refused: the dashboard grants CORS to no other origin.',
  },
  HD_ERR_FORWARDED_HEADER_INVALID: {
    reason: 'forwarded_header_invalid', status: 400, close: 4400,
    meaning: 'A forwarded header from a trusted proxy could not be parsed or failed validation.',
  },
  HD_ERR_TOKEN_MISSING: {
    reason: 'token_missing', status: 401, close: 4401,
    meaning: 'No session token was offered in a place this request may carry one.',
  },
  HD_ERR_TOKEN_INVALID: {
    reason: 'token_invalid', status: 401, close: 4401,
    meaning: 'A session token was offered but it is not this server\'s token.',
  },
  HD_ERR_SAME_ORIGIN_REQUIRED: {
    reason: 'same_origin_required', status: 403, close: 4403,
    meaning: 'Only an ambient credential (cookie or proxy identity) was offered, on a state-changing request or upgrade without same-origin evidence.',
  },
  HD_ERR_IDENTITY_HEADER_SPOOFED: {
    reason: 'identity_header_spoofed', status: 400, close: 4400,
    meaning: 'An identity header arrived from a peer that is not a trusted proxy, in an aliased spelling, or more than once.',
  },
  HD_ERR_IDENTITY_MISSING: {
    reason: 'identity_missing', status: 401, close: 4401,
    meaning: 'The request came through the trusted proxy without the identity header the proxy is configured to set.',
  },
  HD_ERR_PROFILE_FORBIDDEN: {
    reason: 'profile_forbidden', status: 403, close: 4403,
    meaning: 'The proxy identity is not bound to the Hermes profile this request asks for.',
  },

  // ── requests and routes ──
  HD_ERR_NOT_FOUND: {
    reason: 'not_found', status: 404, close: 4404,
    meaning: 'No such API endpoint.',
  },
  HD_ERR_BODY_TOO_LARGE: {
    reason: 'body_too_large', status: 413, close: 1009,
    meaning: 'The request body is larger than the 1 MiB the dashboard accepts.',
  },
  HD_ERR_REQUEST_TARGET_INVALID: {
    reason: 'request_target_invalid', status: 400, close: 4400,
    meaning: 'The request target is not a path (an absolute URL or `*`); the dashboard is not a forward proxy.',
  },
  HD_ERR_BAD_REQUEST: {
    reason: 'bad_request', status: 400, close: 4400,
    meaning: 'The request could not be parsed (body, URL or headers).',
  },
  HD_ERR_QUERY_INVALID: {
    reason: 'query_invalid', status: 400, close: 4400,
    meaning: 'A query parameter has a value outside what the route accepts.',
  },
  HD_ERR_CHANNEL_INVALID: {
    reason: 'channel_invalid', status: 400, close: 4400,
    meaning: 'The event channel is missing or not of the form ^[A-Za-z0-9._-]{1,128}$.',
  },
  HD_ERR_PROFILE_INVALID: {
    reason: 'profile_invalid', status: 400, close: 4400,
    meaning: 'The profile name is not a valid Hermes profile name.',
  },
  HD_ERR_PROFILE_NOT_FOUND: {
    reason: 'profile_not_found', status: 404, close: 4404,
    meaning: 'No such Hermes profile under HERMES_HOME/profiles.',
  },
  HD_ERR_ACTION_UNKNOWN: {
    reason: 'action_unknown', status: 404, close: 4404,
    meaning: 'The action name is not in the table of known actions.',
  },
  HD_ERR_ACTION_BUSY: {
    reason: 'action_busy', status: 409, close: 4400,
    meaning: 'The same action is already running with other arguments.',
  },
  HD_ERR_ACTION_SPAWN_FAILED: {
    reason: 'action_spawn_failed', status: 500, close: 1011,
    meaning: 'The Hermes command for an action could not be started.',
  },

  // ── chat (/api/pty) and gateway (/api/ws) ──
  HD_ERR_CHAT_UNAVAILABLE: {
    reason: 'chat_unavailable', status: 503, close: 1011,
    meaning: 'The chat could not start (command not found, profile missing, bad query); the reason is printed in the terminal first.',
  },
  HD_ERR_CHAT_REGISTRY_FULL: {
    reason: 'chat_registry_full', status: 503, close: 1011,
    meaning: 'All 16 kept-alive chats are attached to a browser tab, so none could be ended to make room.',
  },
  HD_ERR_CHAT_LIMIT: {
    reason: 'chat_limit', status: 503, close: 1013,
    meaning: 'As many per-tab chats are running as --max-chats allows; no new one is started until one ends.',
  },
  HD_ERR_CHAT_SUPERSEDED: {
    reason: 'superseded', status: 409, close: 4409,
    meaning: 'Another tab attached to the same kept-alive chat; the last tab to attach shows it.',
  },
  HD_ERR_CHAT_EXITED: {
    reason: 'process_exited', status: 410, close: 4410,
    meaning: 'The kept-alive chat program exited; start a new session.',
  },
  HD_ERR_GATEWAY_UNAVAILABLE: {
    reason: 'gateway_unavailable', status: 503, close: 1011,
    meaning: 'The gateway command for /api/ws could not be started.',
  },
  HD_ERR_GATEWAY_LIMIT: {
    reason: 'gateway_limit', status: 503, close: 1013,
    meaning: 'As many /api/ws gateway processes are running as --max-gateways allows; no new one is started until one ends.',
  },
  HD_ERR_GATEWAY_EXITED: {
    reason: 'gateway_exited', status: 502, close: 1011,
    meaning: 'The gateway process behind /api/ws exited (or wrote a line longer than 16 MiB and was stopped).',
  },

  // ── WebSocket frames ──
  HD_ERR_FRAME_TOO_LARGE: {
    reason: 'frame_too_large', status: 413, close: 1009,
    meaning: 'A WebSocket message is larger than the endpoint accepts.',
  },
  HD_ERR_UPGRADE_REQUIRED: {
    reason: 'upgrade_required', status: 426, close: 4400,
    meaning: 'A WebSocket endpoint got a plain HTTP request: usually a proxy that does not pass the Upgrade and Connection headers. (Only HTTP can carry it; the close code is never sent.)',
  },
  HD_ERR_FRAME_UNSUPPORTED: {
    reason: 'frame_unsupported', status: 400, close: 1003,
    meaning: 'A WebSocket message of a kind the endpoint does not take (binary on /api/pub).',
  },
  HD_ERR_SUBSCRIBER_TOO_SLOW: {
    reason: 'subscriber_too_slow', status: 503, close: 1013,
    meaning: 'An /api/events subscriber fell too far behind and was dropped rather than buffered without bound.',
  },

  // ── files under HERMES_HOME (the home door) ──
  HD_ERR_HOME_PATH_REFUSED: {
    reason: 'home_path_refused', status: 403, close: 1011,
    meaning: 'A path under HERMES_HOME is not one the dashboard opens: it leads out of the home (a symlink), or it is not a regular file or directory (a FIFO, a device).',
  },
  HD_ERR_HOME_IO: {
    reason: 'home_io_failed', status: 500, close: 1011,
    meaning: 'A file under HERMES_HOME could not be read or written (the detail names the file and the errno: a read-only home, a permission).',
  },

  // ── Hermes' own server behind this one (src/backend/) ──
  HD_ERR_BACKEND_OFF: {
    reason: 'backend_off', status: 503, close: 1011,
    meaning: 'This route is answered by Hermes\' own server, and none runs behind this dashboard (--hermes-backend off, or Hermes is not installed).',
  },
  HD_ERR_BACKEND_STARTING: {
    reason: 'backend_starting', status: 503, close: 1013,
    meaning: 'Hermes\' own server is starting (or restarting) and did not get ready in time; try again after Retry-After.',
  },
  HD_ERR_BACKEND_FAILED: {
    reason: 'backend_failed', status: 503, close: 1011,
    meaning: 'Hermes\' own server keeps failing to start; the dashboard goes on retrying with backoff (its output is in HERMES_HOME/logs/dashboard-backend.log).',
  },
  HD_ERR_BACKEND_UNAVAILABLE: {
    reason: 'backend_unavailable', status: 502, close: 1011,
    meaning: 'Hermes\' own server could not be reached or broke off the answer (it refused the connection, reset it, or exited mid-request).',
  },
  HD_ERR_BACKEND_TIMEOUT: {
    reason: 'backend_timeout', status: 504, close: 1011,
    meaning: 'Hermes\' own server did not answer within --backend-timeout.',
  },

  // ── native reads of Hermes' files ──
  HD_ERR_STATE_DB_BUSY: {
    reason: 'state_db_busy', status: 503, close: 1013,
    meaning: 'Hermes\' state.db stayed locked through every retry (a migration or checkpoint); the request is forwarded to Hermes\' own server when one runs.',
  },

  // ── server ──
  HD_ERR_CONFIG_INVALID: {
    reason: 'config_invalid', status: 500, close: 1011,
    meaning: 'A configuration value is invalid; the command line exits with code 2.',
  },
  HD_ERR_INTERNAL: {
    reason: 'internal_error', status: 500, close: 1011,
    meaning: 'An unexpected server error; the server log has the details.',
  },
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERRORS
export type Reason = (typeof ERRORS)[ErrorCode]['reason']

/** A typed error that knows how to answer over HTTP and over a WebSocket. */
export class DashboardError extends Error {
  readonly code: ErrorCode
  readonly reason: Reason
  readonly status: number
  readonly close: number
  readonly hint: string | undefined

  constructor (code: ErrorCode, detail?: string, hint?: string) {
    const spec = ERRORS[code]
    super(detail ?? spec.meaning)
    this.name = 'DashboardError'
    this.code = code
    this.reason = spec.reason
    this.status = spec.status
    this.close = spec.close
    this.hint = hint
  }

  /** The JSON body: `error` is the stable reason, `detail` is for people (Hermes' front end shows it). */
  toJSON (): ErrorBody {
    const body: ErrorBody = { error: this.reason, code: this.code, detail: this.message }
    if (this.hint !== undefined) body.hint = this.hint
    return body
  }
}

export interface ErrorBody {
  error: string
  code: string
  detail: string
  hint?: string
}

const codeByReason = new Map<string, ErrorCode>(
  (Object.keys(ERRORS) as ErrorCode[]).map((code) => [ERRORS[code].reason, code]),
)

export function codeForReason (reason: string): ErrorCode | undefined {
  return codeByReason.get(reason)
}

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
export function closeReason (text: string): string {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= 123) return text
  return bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD+$/u, '') + '...'
}
