// test/helpers/proxy-checks.ts
// Checks shared by the reverse-proxy tests (proxies.test.ts, caddy.test.ts): WebSocket publish →
// subscribe through a proxy, a refused WebSocket's close, and reading the session cookie a page set.

import type t from 'tap'
import type { Headers, HttpResult, Peer, WsEvent } from './peer.js'

export type TT = Parameters<Parameters<typeof t.test>[0]>[0]

export interface ThroughOptions {
  readonly headers?: Headers
  readonly insecureTls?: boolean
}

function wsOpts (url: string, o: ThroughOptions): { url: string, headers?: Headers, insecureTls?: boolean } {
  return { url, ...(o.headers === undefined ? {} : { headers: o.headers }), ...(o.insecureTls === undefined ? {} : { insecureTls: o.insecureTls }) }
}

/**
 * A subscriber on /api/events and a publisher on /api/pub, both through the proxy at `wsBase`
 * (ws://host:port or wss://host:port); the subscriber must receive exactly what was published.
 * A refused socket is accepted and then closed, so "open" alone proves nothing: the message does.
 */
export async function checkPubSub (t: TT, peer: Peer, wsBase: string, channel: string, token: string | null, o: ThroughOptions = {}): Promise<void> {
  const q = token === null ? '' : `&token=${encodeURIComponent(token)}`
  const sub = peer.ws(wsOpts(`${wsBase}/api/events?channel=${channel}${q}`, o))
  const subOpened = await sub.opened()
  t.same(subOpened, { event: 'open' }, `subscriber ${wsBase}/api/events opened`)
  if (subOpened.event !== 'open') { sub.close(); return }
  const pub = peer.ws(wsOpts(`${wsBase}/api/pub?channel=${channel}${q}`, o))
  const pubOpened = await pub.opened()
  t.same(pubOpened, { event: 'open' }, `publisher ${wsBase}/api/pub opened`)
  if (pubOpened.event !== 'open') { pub.close(); sub.close(); return }
  const payload = JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'session.info', payload: { channel } } })
  pub.send(payload)
  let got: WsEvent
  try {
    got = await sub.message(10_000)
  } catch (err) {
    const pubEnd = await pub.next(100).catch(() => null)
    got = { event: 'error', message: `${(err as Error).message}; publisher: ${JSON.stringify(pubEnd)}` }
  }
  t.same(got, { event: 'message', data: payload }, 'the subscriber received what the publisher sent, through the proxy')
  pub.close()
  sub.close()
  await Promise.all([pub.closed(), sub.closed()])
}

/** A WebSocket that must be refused: how it ended (close code and reason, or an HTTP status). */
export async function wsRefusal (peer: Peer, url: string, o: ThroughOptions = {}): Promise<{ code: number, reason: string } | { status: number }> {
  const conn = peer.ws(wsOpts(url, o))
  const first = await conn.opened()
  if (first.event === 'unexpected-response') {
    // The handshake was answered with a plain HTTP response (the proxy's own, e.g. 401): abort it.
    conn.close()
    return { status: first.status }
  }
  if (first.event === 'close') return { code: first.code, reason: first.reason }
  return await conn.closed()
}

/** The Set-Cookie lines of a response. */
export function setCookies (r: HttpResult): string[] {
  const v = r.headers['set-cookie']
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** `name=value` of the first Set-Cookie (what a browser sends back in Cookie). */
export function cookiePair (r: HttpResult): string | null {
  const first = setCookies(r)[0]
  return first === undefined ? null : (first.split(';')[0] ?? '').trim()
}

/** The attributes of a Set-Cookie line, lower-cased names: `{ path: '/', httponly: '', ... }`. */
export function cookieAttributes (line: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of line.split(';').slice(1)) {
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    out[name] = eq === -1 ? '' : part.slice(eq + 1).trim()
  }
  return out
}
