// test/helpers/peer.ts
// A client at some network address: this host (any loopback address), or a host in a test network
// namespace (through test/fixtures/netns-agent.mjs). Both speak the same small interface, so a
// test table can say "from the LAN" or "from the proxy" and run the same requests.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import http from 'node:http'
import https from 'node:https'
import { createInterface } from 'node:readline'
import { WebSocket } from 'ws'
import { PROJECT_ROOT } from './paths.js'

export type HeaderValue = string | readonly string[]
export type Headers = Readonly<Record<string, HeaderValue>>

export interface HttpOptions {
  readonly url: string
  readonly method?: string
  readonly headers?: Headers
  readonly body?: string
  readonly insecureTls?: boolean
}

export interface HttpResult {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

export function json<T = Record<string, unknown>> (r: HttpResult): T {
  return JSON.parse(r.body) as T
}

export type WsEvent =
  | { readonly event: 'open' }
  | { readonly event: 'message', readonly data: string | null }
  | { readonly event: 'close', readonly code: number, readonly reason: string }
  | { readonly event: 'unexpected-response', readonly status: number }
  | { readonly event: 'error', readonly message: string }

export interface WsOptions {
  readonly url: string
  readonly headers?: Headers
  readonly insecureTls?: boolean
}

/** A WebSocket seen as a queue of events; every wait is bounded. */
export class WsConn {
  private readonly events: WsEvent[] = []
  private readonly waiters: Array<(e: WsEvent) => void> = []
  private done = false
  constructor (private readonly sendFn: (data: string) => void, private readonly closeFn: () => void) {}

  push (e: WsEvent): void {
    if (this.done) return
    if (e.event === 'close') this.done = true
    const w = this.waiters.shift()
    if (w !== undefined) w(e)
    else this.events.push(e)
  }

  /** The next event (after 'error' or 'unexpected-response', a 'close' usually follows). */
  next (timeoutMs = 10_000): Promise<WsEvent> {
    const e = this.events.shift()
    if (e !== undefined) return Promise.resolve(e)
    if (this.done) return Promise.resolve({ event: 'close', code: 1006, reason: 'already closed' })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter)
        if (i !== -1) this.waiters.splice(i, 1)
        reject(new Error(`no WebSocket event within ${timeoutMs} ms`))
      }, timeoutMs)
      const waiter = (ev: WsEvent): void => { clearTimeout(timer); resolve(ev) }
      this.waiters.push(waiter)
    })
  }

  /** Waits for open, or for how the connection ended instead. */
  async opened (timeoutMs = 10_000): Promise<WsEvent> {
    for (;;) {
      const e = await this.next(timeoutMs)
      if (e.event === 'open' || e.event === 'close') return e
      if (e.event === 'unexpected-response') return e
    }
  }

  /** Waits for the next message, or the close that came instead. */
  async message (timeoutMs = 10_000): Promise<WsEvent> {
    for (;;) {
      const e = await this.next(timeoutMs)
      if (e.event === 'message' || e.event === 'close') return e
    }
  }

  async closed (timeoutMs = 10_000): Promise<{ code: number, reason: string }> {
    for (;;) {
      const e = await this.next(timeoutMs)
      if (e.event === 'close') return { code: e.code, reason: e.reason }
    }
  }

  send (data: string): void { this.sendFn(data) }
  close (): void { this.closeFn() }
}

export interface Peer {
  readonly name: string
  /** The address the server sees (before IPv4-mapped folding). */
  readonly address: string
  http (o: HttpOptions): Promise<HttpResult>
  ws (o: WsOptions): WsConn
  close (): Promise<void>
}

function toNodeHeaders (h: Headers | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(h ?? {})) out[k] = typeof v === 'string' ? v : [...v]
  return out
}

/** A client on this host, from the given loopback address (127.0.0.1, 127.0.0.2, ::1, ...). */
export function localPeer (address = '127.0.0.1'): Peer {
  return {
    name: `local ${address}`,
    address,
    http (o) {
      return new Promise((resolve, reject) => {
        const u = new URL(o.url)
        const mod = u.protocol === 'https:' ? https : http
        const req = mod.request(u, {
          method: o.method ?? 'GET', headers: toNodeHeaders(o.headers), localAddress: address, agent: false,
          rejectUnauthorized: o.insecureTls !== true, timeout: 10_000,
        }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
          res.on('error', reject)
        })
        req.on('timeout', () => req.destroy(new Error('request timed out')))
        req.on('error', reject)
        if (o.body !== undefined) req.write(o.body)
        req.end()
      })
    },
    ws (o) {
      const ws = new WebSocket(o.url, { headers: toNodeHeaders(o.headers), localAddress: address, rejectUnauthorized: o.insecureTls !== true, handshakeTimeout: 10_000 })
      const conn = new WsConn((d) => ws.send(d), () => ws.close())
      ws.on('open', () => conn.push({ event: 'open' }))
      ws.on('message', (data: Buffer, isBinary: boolean) => conn.push({ event: 'message', data: isBinary ? null : data.toString('utf8') }))
      ws.on('unexpected-response', (_req, res) => { conn.push({ event: 'unexpected-response', status: res.statusCode ?? 0 }); res.resume() })
      ws.on('error', (err) => conn.push({ event: 'error', message: err.message }))
      ws.on('close', (code, reason) => conn.push({ event: 'close', code, reason: reason.toString('utf8') }))
      return conn
    },
    close: async () => {},
  }
}

type AgentEvent = { id: number, event: string } & Record<string, unknown>

/** A client inside a network namespace, from one of that namespace's addresses. */
export class NetnsAgent {
  private nextId = 1
  private readonly handlers = new Map<number, (e: AgentEvent) => void>()
  private readonly child: ChildProcessWithoutNullStreams
  readonly ready: Promise<void>

  constructor (readonly namespace: string) {
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, `${PROJECT_ROOT}/test/fixtures/netns-agent.mjs`], {
      env: { ...process.env, HD_PROJECT_ROOT: PROJECT_ROOT },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stderr = ''
    this.child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`netns agent did not start: ${stderr}`)), 10_000)
      this.handlers.set(0, () => { clearTimeout(timer); resolve() })
      this.child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`netns agent exited ${code}: ${stderr}`)) })
    })
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const e = JSON.parse(line) as AgentEvent
      this.handlers.get(e.id)?.(e)
    })
  }

  private command (op: string, fields: Record<string, unknown>, onEvent: (e: AgentEvent) => void): number {
    const id = this.nextId++
    this.handlers.set(id, onEvent)
    this.child.stdin.write(JSON.stringify({ ...fields, op, id }) + '\n')
    return id
  }

  peer (address: string): Peer {
    return {
      name: `${this.namespace} ${address}`,
      address,
      http: (o) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('agent request timed out')), 15_000)
        const id = this.command('http', { ...o, headers: toNodeHeaders(o.headers), localAddress: address }, (e) => {
          clearTimeout(timer)
          this.handlers.delete(id)
          if (e.event === 'response') resolve({ status: e.status as number, headers: e.headers as Record<string, string>, body: e.body as string })
          else reject(new Error(String(e.message)))
        })
      }),
      ws: (o) => {
        let target = 0
        const conn = new WsConn(
          (data) => this.child.stdin.write(JSON.stringify({ op: 'ws-send', target, data }) + '\n'),
          () => this.child.stdin.write(JSON.stringify({ op: 'ws-close', target }) + '\n'),
        )
        target = this.command('ws', { ...o, headers: toNodeHeaders(o.headers), localAddress: address }, (e) => {
          conn.push(e as unknown as WsEvent)
          if (e.event === 'close') this.handlers.delete(target)
        })
        return conn
      },
      close: async () => {},
    }
  }

  async close (): Promise<void> {
    this.child.stdin.end()
    if (this.child.exitCode === null) await new Promise((resolve) => this.child.once('exit', resolve))
  }
}
