// src/doctor/probe.ts
// `hermes-dashboard doctor URL`: run from the browser's side of the proxy, it asks what the page
// asks, the way a browser asks it (the page, /api/status, the token into the cookie, the three
// WebSockets with an Origin of the URL's), then /api/trust/explain for how the dashboard saw it,
// and prints the diagnosis (diagnose.ts). Exit code 0 only when every step passed.

import http from 'node:http'
import https from 'node:https'
import { WebSocket } from 'ws'
import { diagnose, type HttpSeen, type Seen, type Step, type WsSeen } from './diagnose.js'

export interface DoctorOptions {
  readonly url: string
  readonly token: string | null
  /** `user:password` for a proxy's Basic auth. */
  readonly user: string | null
  /** Accept a self-signed certificate. */
  readonly insecureTls: boolean
  /** Headers sent with every request: an SSO proxy's session cookie, an access service token. */
  readonly headers?: Readonly<Record<string, string>>
  readonly timeoutMs: number
}

function get (url: URL, headers: Record<string, string>, o: DoctorOptions): Promise<HttpSeen> {
  const mod = url.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    const req = mod.request(url, { method: 'GET', headers, rejectUnauthorized: !o.insecureTls, timeout: o.timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => { if (chunks.length < 256) chunks.push(c) })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)))
    req.on('error', (err) => resolve({ status: 0, headers: {}, body: '', error: err.message }))
    req.end()
  })
}

function socket (url: URL, headers: Record<string, string>, o: DoctorOptions): Promise<WsSeen> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, rejectUnauthorized: !o.insecureTls, handshakeTimeout: o.timeoutMs })
    let opened = false
    // An accepted socket may still be closed at once (a refusal is delivered that way): wait a moment.
    const settle = setTimeout(() => { ws.close(1000); resolve({ kind: 'open' }) }, 1500)
    ws.on('open', () => { opened = true })
    ws.on('unexpected-response', (_req, res) => { clearTimeout(settle); res.resume(); resolve({ kind: 'http', status: res.statusCode ?? 0 }); ws.terminate() })
    ws.on('close', (code, reason) => { clearTimeout(settle); resolve(opened ? { kind: 'close', code, reason: reason.toString('utf8') } : { kind: 'error', message: `closed before opening (${code})` }) })
    ws.on('error', (err) => { clearTimeout(settle); resolve({ kind: 'error', message: err.message }) })
  })
}

export async function probe (o: DoctorOptions): Promise<Seen> {
  const url = new URL(o.url)
  url.search = ''
  url.hash = ''
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  const at = (path: string, query: Record<string, string> = {}): URL => {
    const u = new URL(path.replace(/^\//, ''), url)
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v)
    return u
  }
  const basic: Record<string, string> = { ...(o.user === null ? {} : { authorization: `Basic ${Buffer.from(o.user).toString('base64')}` }), ...o.headers }
  const browser = { 'user-agent': 'hermes-dashboard-doctor', accept: 'text/html,application/json;q=0.9', ...basic }
  const status = await get(at('api/status'), { ...browser, 'sec-fetch-site': 'same-origin' }, o)
  const page = await get(url, browser, o)
  // The token the page carries, as the browser takes it: loopback mode injects it for this host.
  const pageToken = /window\.__HERMES_SESSION_TOKEN__=("(?:[^"\\]|\\.)*")/.exec(page.body)?.[1]
  const token = o.token ?? (pageToken === undefined ? null : JSON.parse(pageToken) as string)
  const tokenLoad = o.token === null ? null : await get(at('', { token: o.token }), browser, o)
  const setCookie = tokenLoad?.headers['set-cookie'] ?? []
  const cookie = (Array.isArray(setCookie) ? setCookie : [setCookie]).map((c) => c.split(';')[0]).join('; ')
  // The dashboard's cookie joins any the operator gave (an SSO proxy's session cookie).
  const cookies = (extra: string): Record<string, string> => {
    const all = [basic.cookie ?? '', extra].filter((c) => c !== '').join('; ')
    return all === '' ? {} : { cookie: all }
  }
  const auth: Record<string, string> = token !== null ? { 'x-hermes-session-token': token } : cookies(cookie)
  // Asked in every mode: without a credential the refusal itself says what the dashboard expects.
  const explain = await get(at('api/trust/explain'), { ...browser, ...auth, 'sec-fetch-site': 'same-origin' }, o)
  const wsBase = new URL(url)
  wsBase.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  const wsAt = (path: string, query: Record<string, string>): URL => {
    const u = new URL(path, wsBase)
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v)
    if (token !== null) u.searchParams.set('token', token)
    return u
  }
  const wsHeaders = { origin: url.origin, ...basic, ...(token === null ? cookies(cookie) : {}) }
  // Each with a parameter its route refuses after the trust check, so that no chat or gateway starts.
  const sockets: Record<string, WsSeen> = {
    '/api/events': await socket(wsAt('api/events', { channel: 'hermes-dashboard-doctor' }), wsHeaders, o),
    '/api/pty': await socket(wsAt('api/pty', { resume: '../doctor' }), wsHeaders, o),
    '/api/ws': await socket(wsAt('api/ws', { profile: '..doctor' }), wsHeaders, o),
  }
  return { url, token: o.token !== null, pageToken: pageToken !== undefined, basicAuth: o.user !== null, status, page, tokenLoad, explain, sockets }
}

export function report (steps: readonly Step[]): string {
  const lines = steps.map((s) => `${s.ok ? 'ok  ' : 'FAIL'} ${s.name}: ${s.detail}${!s.ok && s.fix !== undefined && s.fix !== '' ? `\n       → ${s.fix}` : ''}`)
  const failed = steps.filter((s) => !s.ok).length
  lines.push('', failed === 0 ? `All ${steps.length} checks passed.` : `${failed} of ${steps.length} checks failed.`)
  return lines.join('\n') + '\n'
}

export async function doctor (o: DoctorOptions): Promise<{ steps: Step[], text: string, ok: boolean }> {
  const steps = diagnose(await probe(o))
  return { steps, text: report(steps), ok: steps.every((s) => s.ok) }
}
