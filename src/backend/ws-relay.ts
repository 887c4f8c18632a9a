// src/backend/ws-relay.ts
// A WebSocket of the browser relayed to Hermes' own server, message for message (text stays text,
// binary stays binary), with back-pressure both ways and close codes passed on. Built on `ws`, the
// library every WebSocket here already uses: @fastify/http-proxy's WebSocket mode would add a second
// 'upgrade' listener beside @fastify/websocket's (every upgrade under its prefix routed twice), patch
// server.close, and log the upstream URL (with the backend's token) at debug level.

import { WebSocket, type RawData } from 'ws'
import { closeReason, ERRORS } from '../errors.js'

export interface RelayOptions {
  /** ws://127.0.0.1:<port>/path?query, the backend's token included. */
  readonly url: string
  /** Host header the backend accepts. */
  readonly host: string
  readonly maxPayload: number
  /** Pause the sending side while the other has this much queued; resume below lowWater. */
  readonly highWater: number
  readonly lowWater: number
  /** Close both when no message crosses either way for this long (pings keep a quiet socket open). */
  readonly idleMs: number
  readonly handshakeMs: number
  readonly log: (fields: Record<string, unknown>, message: string) => void
  /** The backend answered the upgrade with this status instead of upgrading. */
  readonly refused?: (status: number) => void
}

const OPEN = WebSocket.OPEN
/** Codes a close frame may not carry (1005, 1006, 1015) or that mean nothing to a browser here. */
function relayable (code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
}

/** Relays `client` to the backend at opts.url; both ends close together. */
export function relayWebSocket (client: WebSocket, opts: RelayOptions): void {
  // Nothing the browser sends is read until the backend has taken the connection.
  client.pause()
  const upstream = new WebSocket(opts.url, client.protocol === '' ? [] : [client.protocol], {
    headers: { host: opts.host },
    perMessageDeflate: false,
    maxPayload: opts.maxPayload,
    handshakeTimeout: opts.handshakeMs,
    followRedirects: false,
  })
  let lastActivity = Date.now()
  let idleTimer: NodeJS.Timeout | undefined

  const fail = (detail: string): void => {
    const spec = ERRORS.HD_ERR_BACKEND_UNAVAILABLE
    opts.log({ event: 'backend.ws_failed', detail }, 'a forwarded WebSocket could not reach Hermes\' own server')
    // Read again, or the browser's answer to the close frame would wait for ws's 30 s timeout.
    client.resume()
    if (client.readyState === OPEN || client.readyState === WebSocket.CONNECTING) client.close(spec.close, closeReason(`${spec.reason}: ${detail}`))
    upstream.terminate()
  }
  upstream.on('unexpected-response', (_req, res) => {
    res.resume()
    opts.refused?.(res.statusCode ?? 0)
    fail(`it answered ${res.statusCode ?? '?'} instead of upgrading`)
  })
  upstream.on('error', (err) => fail(err.message.replace(/token=[^&\s]*/g, 'token=[redacted]')))

  /** from → to, one message at a time; `from` waits while `to` is backed up. */
  const pipe = (from: WebSocket, to: WebSocket, early: Array<[Buffer, boolean]> | null): void => {
    const drained = (): void => {
      if (from.isPaused && to.bufferedAmount <= opts.lowWater && from.readyState === OPEN) from.resume()
    }
    from.on('message', (data: RawData, isBinary: boolean) => {
      lastActivity = Date.now()
      // A message already read when the socket was paused waits for the backend's socket to open.
      if (to.readyState === WebSocket.CONNECTING && early !== null) return void early.push([data as Buffer, isBinary])
      if (to.readyState !== OPEN) return
      to.send(data as Buffer, { binary: isBinary }, drained)
      if (to.bufferedAmount > opts.highWater) from.pause()
    })
  }
  const early: Array<[Buffer, boolean]> = []
  pipe(client, upstream, early)

  upstream.on('open', () => {
    for (const [data, binary] of early.splice(0)) upstream.send(data, { binary })
    pipe(upstream, client, null)
    client.resume()
    idleTimer = setInterval(() => {
      if (Date.now() - lastActivity < opts.idleMs) return
      client.close(1001, 'idle')
      upstream.close(1001, 'idle')
    }, Math.min(opts.idleMs, 60_000))
    idleTimer.unref()
  })
  upstream.on('close', (code, reason) => {
    clearInterval(idleTimer)
    client.resume()
    if (client.readyState === OPEN) client.close(relayable(code) ? code : 1011, closeReason(relayable(code) ? reason.toString('utf8') : 'backend_closed'))
  })
  client.on('close', (code, reason) => {
    clearInterval(idleTimer)
    if (upstream.readyState === OPEN) upstream.close(relayable(code) ? code : 1000, reason.toString('utf8').slice(0, 120))
    else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate()
  })
}
