// src/backend/forward.ts
// Forwarding a request the dashboard does not answer itself to Hermes' own server, after the trust
// hook and the profile decision: REST through @fastify/reply-from (undici; bodies streamed both ways,
// the backend's statuses passed through, its failures mapped to registry errors), WebSockets through
// ws-relay.ts. Nothing but the configured loopback backend is ever reached.

import type { FastifyReply, FastifyRequest } from 'fastify'
import type {} from '@fastify/reply-from'
import { Transform } from 'node:stream'
import type { WebSocket } from 'ws'
import { closeReason, DashboardError, ERRORS } from '../errors.js'
import { backendQuery, backendRequestHeaders, clientResponseHeaders, forwardPath, profileInPath, type HeaderMap } from './hygiene.js'
import { backendOffError, type Backend, type BackendTarget } from './supervisor.js'
import { relayWebSocket } from './ws-relay.js'

export interface ForwarderOptions {
  readonly backend: Backend
  /** Identity headers of the SSO proxy (lower case): never sent on. */
  readonly identityHeaders: readonly string[]
  /** How long a request waits for a backend that is starting. */
  readonly readyWaitMs: number
  /** Largest request body sent on (a streamed upload counts as it goes). */
  readonly bodyLimit: number
  readonly maxWsPayload: number
  readonly wsIdleMs: number
}

export interface Forwarder {
  http (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>
  websocket (socket: WebSocket, request: FastifyRequest): void
}

export const RETRY_AFTER_SECONDS = 2
export const WS_WATER = { high: 1024 * 1024, low: 256 * 1024 }

function pathOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function searchOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? '' : url.slice(q)
}

/** The profile to add to the query: one the dashboard decided that the request itself did not name. */
function addedProfile (request: FastifyRequest, target: BackendTarget): string | null {
  const { profile, view } = request.trust
  if (profile === null || profile === 'default' || !target.profileAware) return null
  if (view.profile !== null || profileInPath(pathOf(request.url)) !== null) return null
  return profile
}

/** Counts a streamed body and fails it past the limit (the client then gets 413). */
class BodyLimit extends Transform {
  seen = 0
  exceeded = false
  constructor (private readonly limit: number) { super() }
  override _transform (chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.seen += chunk.length
    if (this.seen > this.limit) {
      this.exceeded = true
      done(new DashboardError('HD_ERR_BODY_TOO_LARGE', `the body is over the ${this.limit} bytes forwarded to Hermes' server`))
      return
    }
    done(null, chunk)
  }
}

export function createForwarder (opts: ForwarderOptions): Forwarder {
  const target = async (request: FastifyRequest, reply: FastifyReply | null): Promise<BackendTarget> => {
    try {
      return await opts.backend.target(request.trust.profile ?? 'default', opts.readyWaitMs)
    } catch (err) {
      if (err instanceof DashboardError && err.code === 'HD_ERR_BACKEND_STARTING') reply?.header('retry-after', String(RETRY_AFTER_SECONDS))
      throw err
    }
  }

  // With no backend at all the answer never changes: made once and sent as it is, not thrown and
  // serialized on every request (the unknown-/api/ route is what a page polls when Hermes is gone).
  const off = opts.backend.status().mode === 'off' ? backendOffError() : null
  const offBody = off === null ? null : JSON.stringify(off.toJSON())

  return {
    async http (request, reply) {
      const path = forwardPath(pathOf(request.url))
      if (path === null) throw new DashboardError('HD_ERR_BAD_REQUEST', 'the path has a "." or ".." segment, a backslash or a NUL', 'Send a plain path.')
      if (off !== null) return reply.code(off.status).type('application/json; charset=utf-8').send(offBody)
      const declared = Number(request.headers['content-length'] ?? 0)
      if (declared > opts.bodyLimit) throw new DashboardError('HD_ERR_BODY_TOO_LARGE', `the body is ${declared} bytes, over the ${opts.bodyLimit} forwarded to Hermes' server`)
      const t = await target(request, reply)
      const hop = { host: t.host, token: t.token, identityHeaders: opts.identityHeaders }
      const query = backendQuery(searchOf(request.url), addedProfile(request, t))
      // A body is either the bytes of a JSON body read to check its profile, or the request stream.
      let limiter: BodyLimit | null = null
      const body = request.body
      const fromOptions: Parameters<FastifyReply['from']>[1] = {
        getUpstream: () => t.origin,
        queryString: () => query,
        rewriteRequestHeaders: (_req, headers) => backendRequestHeaders(headers as HeaderMap, hop),
        rewriteHeaders: (headers) => clientResponseHeaders(headers as HeaderMap),
        onResponse: (_req, r, res) => {
          // Its 401 is passed on, and its token read again: a server we did not start may have restarted.
          if (res.statusCode === 401) opts.backend.tokenRefused(t.origin)
          r.send(res.stream)
        },
        // The backend's own answers (a 503 too) pass through as they are; only a GET or HEAD whose
        // connection broke before any answer (a keep-alive connection the backend had just closed)
        // is sent once more.
        retryDelay: ({ err, req, attempt }) => (err !== null && err !== undefined && attempt < 1 && (req.method === 'GET' || req.method === 'HEAD') ? 50 : null),
        onError: (r, { error }) => {
          const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code
          const status = (error as { statusCode?: number }).statusCode
          const e = limiter?.exceeded === true
            ? new DashboardError('HD_ERR_BODY_TOO_LARGE', `the body is over the ${opts.bodyLimit} bytes forwarded to Hermes' server`)
            : status === 504 || cause === 'UND_ERR_HEADERS_TIMEOUT' || cause === 'UND_ERR_BODY_TIMEOUT'
              ? new DashboardError('HD_ERR_BACKEND_TIMEOUT', 'Hermes\' own server did not answer in time', 'Raise --backend-timeout for slow operations.')
              : new DashboardError('HD_ERR_BACKEND_UNAVAILABLE', `Hermes' own server broke off: ${cause ?? error.message}`, 'Try again; the dashboard restarts its server when it has died.')
          r.code(e.status).header('cache-control', 'no-store').send(e.toJSON())
        },
      }
      if (Buffer.isBuffer(body)) {
        Object.assign(fromOptions, { body, contentType: request.headers['content-type'] ?? 'application/json' })
      } else if (body !== undefined && body !== null && typeof (body as { pipe?: unknown }).pipe === 'function') {
        limiter = new BodyLimit(opts.bodyLimit)
        ;(body as NodeJS.ReadableStream).pipe(limiter)
        request.body = limiter
      }
      return reply.from(path, fromOptions)
    },

    websocket (socket, request) {
      // Nothing the browser sends is read until the backend's socket is open (relayWebSocket resumes).
      socket.pause()
      const path = forwardPath(pathOf(request.url))
      if (path === null) {
        socket.close(ERRORS.HD_ERR_BAD_REQUEST.close, closeReason(ERRORS.HD_ERR_BAD_REQUEST.reason))
        return
      }
      target(request, null).then((t) => {
        relayWebSocket(socket, {
          url: `ws://${t.host}${path}?${backendQuery(searchOf(request.url), addedProfile(request, t), t.token)}`,
          host: t.host,
          maxPayload: opts.maxWsPayload,
          highWater: WS_WATER.high,
          lowWater: WS_WATER.low,
          idleMs: opts.wsIdleMs,
          handshakeMs: 10_000,
          log: (fields, message) => request.log.info(fields, message),
          refused: (status) => { if (status === 401 || status === 403) opts.backend.tokenRefused(t.origin) },
        })
      }, (err: unknown) => {
        const e = err instanceof DashboardError ? err : new DashboardError('HD_ERR_BACKEND_UNAVAILABLE')
        socket.close(e.close, closeReason(`${e.reason}: ${e.message}`))
      })
    },
  }
}
