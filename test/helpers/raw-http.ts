// test/helpers/raw-http.ts
// An HTTP request written byte for byte (targets and header lines no client library would send),
// and the whole answer as text. Every wait is bounded.

import { connect } from 'node:net'

export interface RawAnswer {
  /** `HTTP/1.1 303 See Other`, or '' when the server sent nothing. */
  readonly statusLine: string
  readonly status: number
  /** Header lines, names lower-cased; repeated names joined with '\n'. */
  readonly headers: Record<string, string>
  readonly text: string
}

export function rawHttp (port: number, request: string, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    let data = ''
    const done = (): void => {
      const head = data.split('\r\n\r\n')[0] ?? ''
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const i = line.indexOf(':')
        if (i <= 0) continue
        const k = line.slice(0, i).trim().toLowerCase()
        const v = line.slice(i + 1).trim()
        headers[k] = headers[k] === undefined ? v : `${headers[k]}\n${v}`
      }
      resolve({ statusLine, status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, text: data })
    }
    s.on('data', (c: Buffer) => {
      data += c.toString('latin1')
      // A whole answer with a length: done (the connection may be kept alive).
      const end = data.indexOf('\r\n\r\n')
      const length = /\r\ncontent-length: *(\d+)/i.exec(data.slice(0, end))?.[1]
      if (end !== -1 && length !== undefined && data.length >= end + 4 + Number(length)) s.destroy()
    })
    s.on('close', done)
    s.on('error', () => {})
    s.setTimeout(timeoutMs, () => s.destroy())
    // Not half-closed: Node drops the answer of a request whose client ended its side early.
    s.write(request)
  })
}
