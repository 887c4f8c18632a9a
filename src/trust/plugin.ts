// src/trust/plugin.ts
// The one root onRequest hook: inspect → policy → verdict, for every REST route and every WebSocket
// upgrade (@fastify/websocket routes upgrades through Fastify, so this hook runs first). A REST denial
// is answered here (JSON, or an HTML page for page routes); a WebSocket denial is accepted and closed
// at once with the matching 44xx code. Route handlers never see a denied request.

import type { FastifyInstance, FastifyReply, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { TLSSocket } from 'node:tls'
import type { WebSocketServer } from 'ws'
import { closeReason, DashboardError, ERRORS } from '../errors.js'
import { sessionCookie } from './credentials.js'
import { createDenialLog } from './denial-log.js'
import { inspect, type RequestView } from './inspect.js'
import { refusalPage } from './pages.js'
import type { Access, RouteTrust, TrustPolicy, Verdict } from './policy.js'
import type { TrustSettings } from './settings.js'

export interface RequestTrust {
  readonly view: RequestView
  readonly verdict: Verdict
  readonly route: RouteTrust
  /** The session token, for the page to inject; set only on allowed page routes. */
  readonly pageToken: string | null
}

declare module 'fastify' {
  interface FastifyRequest {
    trust: RequestTrust
  }
  interface FastifyContextConfig {
    /** Access class; routes without one are protected. */
    access?: Access
    /** Accept `?token=` (always true on WebSocket routes). */
    queryToken?: boolean
  }
}

export interface TrustPluginOptions {
  readonly settings: TrustSettings
  readonly policy: TrustPolicy
  /** The token value, handed to the page (never logged, never in a view). */
  readonly token: string
}

// What the hook needs of a route, computed once when the route is declared.
interface RouteInfo {
  readonly trust: RouteTrust
  readonly websocket: boolean
}
const kRoute = Symbol('hermes.route')
const FALLBACK: RouteInfo = Object.freeze({ trust: Object.freeze({ access: 'protected', queryToken: false }), websocket: false })
const COOKIE_MAX_AGE = 30 * 24 * 3600

const EMPTY = Buffer.alloc(0)

function routeInfoOf (opts: RouteOptions): RouteInfo {
  const config = (opts.config ?? {}) as { access?: Access, queryToken?: boolean }
  // A WebSocket route is declared with `websocket: true`, or with a wsHandler beside an HTTP handler.
  const ws = opts as { websocket?: boolean, wsHandler?: unknown }
  const websocket = ws.websocket === true || typeof ws.wsHandler === 'function'
  return Object.freeze({ trust: Object.freeze({ access: config.access ?? 'protected', queryToken: websocket || config.queryToken === true }), websocket })
}

async function trustPlugin (fastify: FastifyInstance, opts: TrustPluginOptions): Promise<void> {
  const { settings, policy, token } = opts
  const log = createDenialLog(fastify.log)

  fastify.decorateRequest('trust', null as unknown as RequestTrust)

  fastify.addHook('onRoute', (routeOptions) => {
    routeOptions.config = { ...(routeOptions.config ?? {}), [kRoute]: routeInfoOf(routeOptions) } as NonNullable<typeof routeOptions.config>
  })

  fastify.addHook('onRequest', (request, reply, done) => {
    const info = (request.routeOptions.config as { [kRoute]?: RouteInfo })[kRoute] ?? FALLBACK
    const route = info.trust
    const raw = request.raw
    const view = inspect({
      peer: raw.socket.remoteAddress ?? '',
      method: raw.method ?? 'GET',
      url: raw.url ?? '/',
      headers: raw.headers,
      rawHeaders: raw.rawHeaders,
      upgrade: (raw as { upgrade?: boolean }).upgrade === true,
      encrypted: (raw.socket as TLSSocket).encrypted === true,
      local: raw.socket.localAddress ?? '',
    }, settings)
    const verdict = policy.evaluate(view, route)
    const allowedPage = verdict.allow && route.access === 'page'
    request.trust = { view, verdict, route, pageToken: allowedPage ? token : null }
    if (view.forwarded.ignored.length > 0) log.forwardedIgnored(view)

    if (verdict.allow) {
      if (allowedPage) {
        offerCookie(view, reply)
        // A token that came in the URL goes into the cookie, and out of the address bar and history.
        if (view.credentials.query === 'valid' && !view.upgrade) {
          reply.code(303).header('location', withoutToken(raw.url ?? '/', view, settings)).header('cache-control', 'no-store').send()
          return
        }
      }
      done()
      return
    }
    log.denied(view, verdict)
    if (view.upgrade && info.websocket) {
      // Accept, then close with the code and reason: a refused handshake would reach the browser as
      // a bare 1006, and the front end could not tell the user why.
      const wss = (request.server as { websocketServer?: WebSocketServer }).websocketServer
      if (wss !== undefined) {
        reply.hijack()
        const spec = ERRORS[verdict.code]
        wss.handleUpgrade(raw, raw.socket, EMPTY, (socket) => socket.close(spec.close, closeReason(spec.reason)))
        return
      }
    }
    const error = new DashboardError(verdict.code, verdict.detail, verdict.hint)
    reply.code(error.status).header('cache-control', 'no-store')
    if (route.access === 'page' && !view.upgrade) {
      reply.type('text/html; charset=utf-8').send(refusalPage(verdict))
    } else {
      reply.send(error.toJSON())
    }
  })

  function offerCookie (view: RequestView, reply: FastifyReply): void {
    if (view.credentials.cookie === 'valid') return
    reply.header('set-cookie', sessionCookie(settings.cookieName, token, {
      path: view.basePath === '' ? '/' : view.basePath,
      secure: view.scheme === 'https',
      maxAgeSeconds: COOKIE_MAX_AGE,
    }))
  }
}

function withoutToken (url: string, view: RequestView, settings: TrustSettings): string {
  const external = view.basePath.slice(0, view.basePath.length - settings.mountPrefix.length)
  const q = url.indexOf('?')
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
  params.delete('token')
  const rest = params.toString()
  return `${external}${view.path}${rest === '' ? '' : `?${rest}`}`
}

export default fp(trustPlugin, { name: 'hermes-trust', fastify: '5.x' })
