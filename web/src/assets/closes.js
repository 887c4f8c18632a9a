// What a WebSocket close means to the person at the page, and what the page does next. Pure: no DOM,
// so the unit tests run it in Node. The server sends its reason code as the close reason
// (`token_invalid`, `process_exited code=0`, `chat_unavailable: ...`); the texts use it as sent.

/** @typedef {'chat' | 'events'} Feed */
/**
 * @typedef {object} CloseInfo
 * @property {'retry' | 'refused' | 'superseded' | 'exited' | 'failed'} kind
 *   retry: reconnect by itself, with backoff; every other kind waits for the person.
 * @property {string} title
 * @property {string} text
 * @property {'reconnect' | 'reload' | 'take-over' | 'new-chat' | 'connection' | 'retry' | null} action
 * @property {string} reason the server's reason code, '' when it sent none
 * @property {number} code the close code
 */

/** `chat_unavailable: hermes not found` → `chat_unavailable`; `process_exited code=1` → `process_exited`. */
export function reasonCode (reason) {
  const m = /^[a-z][a-z0-9_]*/.exec(String(reason ?? ''))
  return m === null ? '' : m[0]
}

const PLACE = {
  host_not_allowed: 'The name in the address bar is not one the dashboard answers to. Add it with --allowed-hosts, or give the address people open with --public-url.',
  origin_not_allowed: 'The page came from an origin the dashboard does not know. Open the dashboard at its own address, or add that host with --allowed-hosts.',
  same_origin_required: 'This request did not come from the dashboard\'s own page. Open the dashboard at its own address.',
  cors_preflight_refused: 'Another site tried to reach the dashboard; that is never allowed.',
  profile_forbidden: 'Your groups at the proxy do not grant this Hermes profile (--group-profiles).',
  peer_not_allowed: 'The dashboard only takes connections from this machine or from its trusted proxies. If you reach it through a proxy, start it with --trusted-proxies set to that proxy\'s address.',
  token_missing: 'No session token came with the request. Open the link the dashboard printed at start-up (it carries ?token=), or reload the page.',
  token_invalid: 'The session token is not the current one: the dashboard probably restarted with a new token. Reload the page.',
  identity_missing: 'The proxy did not say who you are. Sign in at the proxy again, or check its forward-auth settings (--auth-header).',
  identity_header_spoofed: 'An identity header arrived from something other than the trusted proxy.',
  forwarded_header_invalid: 'The proxy sent a forwarded header the dashboard cannot read. Check the proxy\'s X-Forwarded-* settings.',
}

function where (code) {
  return PLACE[code] ?? 'The Connection view shows how the dashboard sees this browser and why it refuses.'
}

/**
 * @param {number} code
 * @param {string} reason
 * @param {Feed} feed
 * @param {boolean} [opened] whether the socket had opened before it closed
 * @returns {CloseInfo}
 */
export function describeClose (code, reason, feed, opened = true) {
  return { ...meaning(code, reason, feed, opened), code }
}

/**
 * What a plain HTTP request to a WebSocket's path says about why the socket never opened (the
 * browser does not tell a page the status of a failed handshake; live.js asks the server after two
 * attempts in a row that never opened). Null when it tells nothing: the page keeps trying.
 * @param {{ status?: number, reason?: string | null, message?: string, hint?: string | null }} err
 * @returns {CloseInfo | null}
 */
export function describeProbe (err) {
  const hint = err.hint ? ` ${err.hint}` : ''
  if (err.reason === 'upgrade_required') {
    return { kind: 'failed', reason: 'upgrade_required', code: 1006, action: 'retry', title: 'WebSockets do not get through', text: `The dashboard got this connection as a plain HTTP request, without its WebSocket upgrade: something in between drops it.${hint}` }
  }
  if (err.status === 400 || err.status === 401 || err.status === 403) {
    const reason = err.reason ?? `http_${err.status}`
    return { kind: 'refused', reason, code: 1006, action: err.status === 401 ? 'reload' : 'connection', title: 'The dashboard refused the connection', text: `${err.message ?? ''}${hint} The server said: ${reason}.`.trim() }
  }
  return null
}

function meaning (code, reason, feed, opened) {
  const said = String(reason ?? '')
  const rc = reasonCode(said)
  const server = said === '' ? '' : ` The server said: ${said}.`
  if (code === 4401) {
    return { kind: 'refused', reason: rc, action: 'reload', title: 'Not signed in to the dashboard', text: `${where(rc)}${server}` }
  }
  if (code === 4403 || code === 4408) {
    return { kind: 'refused', reason: rc, action: 'connection', title: 'The dashboard refused this browser', text: `${where(rc)}${server}` }
  }
  if (code === 4400 || code === 4404) {
    return { kind: 'refused', reason: rc, action: 'connection', title: 'The dashboard did not accept the request', text: `Something in the request was not valid.${server}` }
  }
  if (code === 4409) {
    return { kind: 'superseded', reason: rc, action: 'take-over', title: 'This chat is open in another tab', text: 'Another tab or window attached to the same chat, so this one let go. The chat goes on there.' }
  }
  if (code === 4410 || (feed === 'chat' && code === 1000)) {
    const exit = /code=(-?\d+)/.exec(said)
    return { kind: 'exited', reason: rc, action: 'new-chat', title: 'The chat program ended', text: `Hermes exited${exit === null ? '' : ` with code ${exit[1]}`}. Start a new chat to go on.${server}` }
  }
  if (code === 1011 && feed === 'chat') {
    const next = rc === 'chat_registry_full'
      ? 'Too many chats are open at once. Close one in another tab, or wait until an idle one ends.'
      : rc === 'chat_unavailable'
        ? 'The chat program could not start. Check that Hermes is installed where the dashboard runs (--chat-command).'
        : 'The chat could not go on.'
    return { kind: 'failed', reason: rc, action: 'retry', title: 'The chat could not run', text: `${next}${server}` }
  }
  if (code === 1003 || code === 1007 || code === 1009) {
    return { kind: 'failed', reason: rc, action: 'retry', title: 'The server closed the connection', text: `It could not take what was sent (close code ${code}).${server}` }
  }
  if (code === 1001 && rc === 'server_shutdown') {
    return { kind: 'retry', reason: rc, action: 'reconnect', title: 'The dashboard is restarting', text: 'It went away on purpose; the page reconnects when it is back.' }
  }
  if (code === 1013) {
    return { kind: 'retry', reason: rc, action: 'reconnect', title: 'The page fell behind', text: 'The server dropped this feed because the page read it too slowly; it reconnects.' }
  }
  if (!opened) {
    return { kind: 'retry', reason: rc, action: 'reconnect', title: 'Cannot open a WebSocket', text: 'The browser could not open a WebSocket to the dashboard. The page keeps trying, and asks the dashboard why.' }
  }
  return { kind: 'retry', reason: rc, action: 'reconnect', title: 'Connection lost', text: `The connection closed (code ${code}).${server} The page reconnects by itself.` }
}

/** Backoff before reconnect attempt `attempt` (0-based): 0.5 s doubling to 30 s, ±20 % so tabs spread out. */
export function retryDelay (attempt, random = Math.random) {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 16))
  return Math.round(base * (0.8 + 0.4 * random()))
}
