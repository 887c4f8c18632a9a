// src/http/log-redaction.ts
// No log line may carry a credential: the session token (header, Bearer, ?token=, cookie), a chat's
// ?internal= credential, a WebSocket ?ticket=, an Authorization value. Three layers, because a line
// can come from anywhere (Fastify, @fastify/websocket, a library's error message):
// - pino's redact paths remove credential headers from any logged request;
// - the req and err serializers log a URL with its secret parameters masked, and never an HTTP
//   parser error's raw bytes;
// - every line's message and fields are scrubbed: the token's exact value, and whatever follows
//   `token=`, `internal=`, `ticket=`, `Bearer ` or `Basic `, become [redacted].

import type { FastifyServerOptions } from 'fastify'
import { LOG_REDACT } from '../trust/credentials.js'

export const REDACTED = '[redacted]'

const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/([?&;](?:token|internal|ticket)=)[^&#\s"'<>]+/gi, `$1${REDACTED}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  [/\b(hermes_dashboard_[0-9a-f]{8}=)[^;\s"']*/g, `$1${REDACTED}`],
]

/** Masks every secret in a piece of text; `secrets` are exact values (the session token). */
export function createScrubber (secrets: readonly string[]): (text: string) => string {
  const exact = secrets.filter((s) => s.length >= 8)
  return (text) => {
    let out = text
    for (const secret of exact) if (out.includes(secret)) out = out.split(secret).join(REDACTED)
    for (const [re, to] of PATTERNS) out = out.replace(re, to)
    return out
  }
}

const MAX_DEPTH = 5

function scrubValue (value: unknown, scrub: (text: string) => string, depth: number): unknown {
  if (typeof value === 'string') return scrub(value)
  // Errors go to the err serializer, which scrubs what it keeps of them.
  if (value === null || typeof value !== 'object' || value instanceof Error || Buffer.isBuffer(value) || depth >= MAX_DEPTH) return value
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, scrub, depth + 1))
  // Only plain records are copied; a request or socket object is left to its serializer.
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, scrub, depth + 1)
  return out
}

interface RequestLike {
  readonly method?: string
  readonly url?: string
  readonly ip?: string
  readonly headers?: Record<string, unknown>
  readonly socket?: { readonly remotePort?: number }
}

/** The logger options of every dashboard instance: level, redact paths, serializers, the scrubbing hook. */
export function loggerOptions (level: string, secrets: readonly string[]): NonNullable<Exclude<FastifyServerOptions['logger'], boolean>> {
  const scrub = createScrubber(secrets)
  return {
    level,
    redact: [...LOG_REDACT],
    serializers: {
      req: (req: RequestLike) => ({ method: req.method, url: scrub(req.url ?? ''), remoteAddress: req.ip, remotePort: req.socket?.remotePort }),
      err: (err: Error & { code?: unknown, statusCode?: unknown }) => ({
        type: err.name,
        message: scrub(String(err.message)),
        stack: scrub(String(err.stack ?? '')),
        ...(err.code === undefined ? {} : { code: err.code }),
        ...(err.statusCode === undefined ? {} : { statusCode: err.statusCode }),
      }),
    },
    hooks: {
      logMethod (args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a) => scrubValue(a, scrub, 0)))
      },
    },
  } as NonNullable<Exclude<FastifyServerOptions['logger'], boolean>>
}
