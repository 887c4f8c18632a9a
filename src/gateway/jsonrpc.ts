// src/gateway/jsonrpc.ts
// The /api/ws wire rules as pure functions: stdout cut into lines (one WebSocket text message per
// line), and what to do with each message from the browser.

export const PARSE_ERROR = '{"jsonrpc":"2.0","error":{"code":-32700,"message":"parse error"},"id":null}'

export type Inbound =
  | { readonly kind: 'skip' }
  | { readonly kind: 'reply', readonly text: string }
  | { readonly kind: 'forward', readonly line: string }

/**
 * A message from the browser: malformed JSON is answered with a parse error and not passed on;
 * `gateway.ping` is answered here (the gateway need not implement it); anything else becomes one
 * line on the gateway's stdin (re-serialised only if it spans lines, which would break the framing).
 */
export function classifyInbound (text: string): Inbound {
  const trimmed = text.trim()
  if (trimmed === '') return { kind: 'skip' }
  let message: unknown
  try {
    message = JSON.parse(trimmed)
  } catch {
    return { kind: 'reply', text: PARSE_ERROR }
  }
  if (message !== null && typeof message === 'object' && !Array.isArray(message) && (message as { method?: unknown }).method === 'gateway.ping') {
    const id = (message as { id?: unknown }).id
    return { kind: 'reply', text: JSON.stringify({ jsonrpc: '2.0', result: { ok: true }, id: id === undefined ? null : id }) }
  }
  return { kind: 'forward', line: /[\r\n\u2028\u2029]/.test(trimmed) ? JSON.stringify(message) : trimmed }
}

export interface LineSplitter {
  /** Feeds a chunk; returns the complete lines in it (without \n or \r\n, empty lines dropped). */
  push (chunk: Buffer): string[]
  /** Bytes held of an unfinished line. */
  readonly pending: number
  /** The unfinished last line, if any (at end of output). */
  flush (): string | null
}

export function createLineSplitter (): LineSplitter {
  let parts: Buffer[] = []
  let pending = 0
  const take = (tail: Buffer): string => {
    const whole = parts.length === 0 ? tail : Buffer.concat([...parts, tail])
    parts = []
    pending = 0
    const end = whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length
    return whole.toString('utf8', 0, end)
  }
  return {
    push (chunk) {
      const lines: string[] = []
      let start = 0
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        const line = take(chunk.subarray(start, nl))
        if (line !== '') lines.push(line)
        start = nl + 1
      }
      if (start < chunk.length) {
        parts.push(chunk.subarray(start))
        pending += chunk.length - start
      }
      return lines
    },
    get pending () { return pending },
    flush () {
      if (pending === 0) return null
      const line = take(Buffer.alloc(0))
      return line === '' ? null : line
    },
  }
}
