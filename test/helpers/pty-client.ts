// test/helpers/pty-client.ts
// A terminal client of /api/pty as the Chat tab is one: binary output decoded as a stream of UTF-8,
// text frames kept apart (failure banners), RESIZE frames, and waits that are always bounded.

import { readdirSync, readFileSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { WebSocket, type ClientOptions } from 'ws'

export interface Closed {
  readonly code: number
  readonly reason: string
}

export class PtyClient {
  readonly ws: WebSocket
  /** Everything the PTY wrote, decoded. */
  output = ''
  /** Text frames (the server's own messages: failure banners). */
  readonly texts: string[] = []
  binaryFrames = 0
  largestFrame = 0
  readonly opened: Promise<boolean>
  readonly closed: Promise<Closed>
  private readonly decoder = new StringDecoder('utf8')
  private readonly watchers = new Set<() => void>()

  constructor (url: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, { handshakeTimeout: 10_000, ...options })
    this.ws.binaryType = 'nodebuffer'
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => resolve(true))
      this.ws.once('close', () => resolve(false))
      this.ws.once('error', () => resolve(false))
    })
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => {
      this.notify()
      resolve({ code, reason: reason.toString('utf8') })
    }))
    this.ws.on('error', () => {})
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.binaryFrames++
        this.largestFrame = Math.max(this.largestFrame, data.length)
        this.output += this.decoder.write(data)
      } else {
        this.texts.push(data.toString('utf8'))
      }
      this.notify()
    })
  }

  private notify (): void {
    for (const w of [...this.watchers]) w()
  }

  /** Waits until the output (from `from` on) matches; rejects after `timeoutMs` or on close. */
  waitFor (pattern: RegExp | string, timeoutMs = 10_000, from = 0): Promise<RegExpExecArray | string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const text = this.output.slice(from)
        const m = typeof pattern === 'string' ? (text.includes(pattern) ? pattern : null) : pattern.exec(text)
        if (m !== null) {
          done()
          resolve(m)
          return true
        }
        if (this.ws.readyState === WebSocket.CLOSED) {
          done()
          reject(new Error(`closed before ${String(pattern)} appeared; output: ${JSON.stringify(this.output.slice(-400))}; texts: ${JSON.stringify(this.texts)}`))
          return true
        }
        return false
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; output: ${JSON.stringify(this.output.slice(-400))}`))
      }, timeoutMs)
      const done = (): void => {
        clearTimeout(timer)
        this.watchers.delete(watcher)
      }
      const watcher = (): void => { check() }
      if (!check()) this.watchers.add(watcher)
    })
  }

  send (data: string | Buffer, binary = typeof data !== 'string'): void {
    this.ws.send(data, { binary })
  }

  /** Types a line into the terminal (text, then Enter). */
  type (line: string): void {
    this.send(`${line}\r`)
  }

  resize (cols: number | string, rows: number | string): void {
    this.send(`\x1b[RESIZE:${cols};${rows}]`)
  }

  /** Closes from the client side and waits for the close to complete. */
  async close (): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close()
    return await withTimeout(this.closed, 10_000, 'close')
  }
}

export function withTimeout<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms) }),
  ])
}

/** Pids of live processes whose command line contains `marker` (the fixture chats of one test). */
export function processesWith (marker: string): number[] {
  // Read /proc directly: no ps, and a process that vanishes mid-scan is simply skipped.
  const pids: number[] = []
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]
      if (cmdline.includes(marker) && state !== 'Z') pids.push(Number(entry))
    } catch {}
  }
  return pids
}

function readdirSafe (dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** Polls `probe` every 50 ms until it returns true; false after `timeoutMs`. */
export async function eventually (probe: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (probe()) return true
    if (Date.now() > end) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
