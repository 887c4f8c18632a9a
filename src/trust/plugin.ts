// src/trust/plugin.ts
// The one root onRequest hook: inspect → policy → verdict, for every REST route and every WebSocket
// upgrade (@fastify/websocket routes upgrades through Fastify, so this hook runs first). A REST denial
// is answered here (JSON, or an HTML page for page routes); a WebSocket denial is accepted and closed
// at once with the matching 44xx code. Route handlers never see a denied request.

import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { TLSSocket } from 'node:tls'
import { WebSocketServer } from 'ws'
import { closeReason, DashboardError, ERRORS, type ErrorCode } from '../errors.js'
import type {} from '@fastify/cookie'
import { createDenialLog } from './denial-log.js'
import { inspect, type RequestView } from './inspect.js'
import { refusalPage } from './pages.js'
import { restsOnTicket, type Access, type Deny, type ProfileChoice, type RouteTrust, type TrustPolicy, type Verdict } from './policy.js'
import type { TrustSettings } from './settings.js'

export interface RequestTrust {
  readonly view: RequestView
  readonly verdict: Verdict
  readonly route: RouteTrust
  /** The session token, for the page to inject; set only on allowed page routes. */
  readonly pageToken: string | null
  /**
   * The Hermes profile this request acts in, decided once by the policy from the name it gives
   * (path, query, JSON body): `default` for the home itself, null when it names none and the caller
   * has no profile of its own (only on routes that are not about a profile).
   */
  profile: string | null
  /** A profile binding limits this caller: a profile it names anywhere (a JSON body too) must be checked. */
  restricted: boolean
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
    /** Accept a chat's own publisher credential, `?internal=` (/api/pub only). */
    capability?: boolean
    /** The route acts in a Hermes profile (chat, gateway, profile-scoped reads and writes). */
    profiled?: boolean
    /** The profile the request's path names, for routes whose path can name one. */
    profileOf?: (request: FastifyRequest) => string | null
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
  readonly profileOf: ((request: FastifyRequest) => string | null) | null
}
const kRoute = Symbol('hermes.route')
const FALLBACK: RouteInfo = Object.freeze({ trust: Object.freeze({ access: 'protected', queryToken: false }), websocket: false, profileOf: null })
/** How long a refused WebSocket may take to finish its closing handshake before its socket is destroyed. */
export const REFUSED_CLOSE_TIMEOUT_MS = 1000
/** A refused socket has nothing to say; a longer message is cut off at once (1009) and not buffered. */
const REFUSED_MAX_PAYLOAD = 1024
const COOKIE_MAX_AGE = 30 * 24 * 3600

const EMPTY = Buffer.alloc(0)

function routeInfoOf (opts: RouteOptions): RouteInfo {
  const config = (opts.config ?? {}) as { access?: Access, queryToken?: boolean, capability?: boolean, profiled?: boolean, profileOf?: (request: FastifyRequest) => string | null }
  // A WebSocket route is declared with `websocket: true`, or with a wsHandler beside an HTTP handler.
  const ws = opts as { websocket?: boolean, wsHandler?: unknown }
  const websocket = ws.websocket === true || typeof ws.wsHandler === 'function'
  const trust: RouteTrust = {
    access: config.access ?? 'protected',
    queryToken: websocket || config.queryToken === true,
    capability: config.capability === true,
    profiled: config.profiled === true,
  }
  return Object.freeze({ trust: Object.freeze(trust), websocket, profileOf: config.profileOf ?? null })
}

/** The one profile a request names in its path, query and JSON body; they may not disagree. */
export function namedProfile (names: ReadonlyArray<string | null | undefined>): { readonly name: string | null } | Deny {
  let name: string | null = null
  for (const n of names) {
    if (n === null || n === undefined) continue
    if (name !== null && n !== name) {
      return { allow: false, code: 'HD_ERR_PROFILE_INVALID', detail: `the request names two profiles, "${name.slice(0, 64)}" and "${n.slice(0, 64)}"`, hint: 'Name the profile once (path, ?profile= or the body\'s "profile").' }
    }
    name = n
  }
  return { name }
}

/**
 * The `profile` field of a JSON body, if it is a string ('' and `current` name none, as in ?profile=).
 * A forwarded body arrives as its bytes (a Buffer), parsed here only to be read.
 */
export function bodyProfile (body: unknown): string | null {
  if (Buffer.isBuffer(body)) {
    try {
      return bodyProfile(JSON.parse(body.toString('utf8')))
    } catch {
      return null // not JSON: the backend refuses it itself, and it names no profile it could act in
    }
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null
  const p = (body as { profile?: unknown }).profile
  return typeof p === 'string' && p !== '' && p !== 'current' ? p : null
}

async function trustPlugin (fastify: FastifyInstance, opts: TrustPluginOptions): Promise<void> {
  const { settings, policy, token } = opts
  const log = createDenialLog(fastify.log)

  fastify.decorateRequest('trust', null as unknown as RequestTrust)

  fastify.addHook('onRoute', (routeOptions) => {
    routeOptions.config = { ...(routeOptions.config ?? {}), [kRoute]: routeInfoOf(routeOptions) } as NonNullable<typeof routeOptions.config>
  })

  // Refused upgrades are completed by a server of their own: never counted or pinged as clients,
  // reading nothing worth keeping (a long message ends the socket at once), and destroyed when the
  // closing handshake has not finished within a second, so an unauthenticated socket costs a few KiB.
  // (closeTimeout is an option of ws 8.18+ that its type definitions do not list yet.)
  const refusalOptions = { noServer: true, maxPayload: REFUSED_MAX_PAYLOAD, closeTimeout: REFUSED_CLOSE_TIMEOUT_MS, perMessageDeflate: false }
  const refusals = new WebSocketServer(refusalOptions as ConstructorParameters<typeof WebSocketServer>[0])
  fastify.addHook('onClose', (_instance, done) => {
    for (const client of refusals.clients) client.terminate()
    refusals.close(() => done())
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
    let verdict: Verdict = policy.evaluate(view, route)
    let profile: string | null = null
    let restricted = false
    if (verdict.allow) {
      const choice = decideProfile(view, [info.profileOf?.(request), view.profile], route)
      if (choice.allow) {
        profile = choice.profile
        restricted = choice.restricted
      } else {
        verdict = choice
      }
    }
    // A ticket is single use: the first request that rests on it uses it up.
    if (verdict.allow && restsOnTicket(view, route) && !settings.tickets.consume(new URLSearchParams(raw.url?.split('?')[1] ?? '').get('ticket') ?? '', view.identity?.user ?? null)) {
      verdict = { allow: false, code: 'HD_ERR_TOKEN_INVALID', detail: '?ticket= was already used', hint: 'Ask POST /api/auth/ws-ticket for a new ticket for each socket.' }
    }
    const allowedPage = verdict.allow && route.access === 'page'
    request.trust = { view, verdict, route, pageToken: allowedPage ? token : null, profile, restricted }
    if (view.forwarded.ignored.length > 0) log.forwardedIgnored(view)

    if (verdict.allow) {
      if (view.upgrade && !info.websocket) {
        // An upgrade to a path that has no WebSocket: answered here, with a close code, before
        // @fastify/websocket would log the full URL (and any ?token= in it).
        refuseUpgrade(request, reply, 'HD_ERR_NOT_FOUND')
        return
      }
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
    if (view.upgrade) {
      // Accept, then close with the code and reason: a refused handshake would reach the browser as
      // a bare 1006, and the front end could not tell the user why.
      refuseUpgrade(request, reply, verdict.code)
      return
    }
    const error = new DashboardError(verdict.code, verdict.detail, verdict.hint)
    reply.code(error.status).header('cache-control', 'no-store')
    if (route.access === 'page') {
      reply.type('text/html; charset=utf-8').send(refusalPage(verdict))
    } else {
      reply.send(error.toJSON())
    }
  })

  // A profile named in a JSON body is decided like one in the path or query, once the body is parsed.
  fastify.addHook('preValidation', (request, reply, done) => {
    const named = bodyProfile(request.body)
    const trust = request.trust
    if (named === null || trust === null || !trust.verdict.allow) return done()
    const info = (request.routeOptions.config as { [kRoute]?: RouteInfo })[kRoute] ?? FALLBACK
    const choice = decideProfile(trust.view, [info.profileOf?.(request), trust.view.profile, named], trust.route)
    if (choice.allow) {
      trust.profile = choice.profile
      return done()
    }
    log.denied(trust.view, choice)
    const error = new DashboardError(choice.code, choice.detail, choice.hint)
    reply.code(error.status).header('cache-control', 'no-store').send(error.toJSON())
  })

  function decideProfile (view: RequestView, names: ReadonlyArray<string | null | undefined>, route: RouteTrust): ProfileChoice | Deny {
    const named = namedProfile(names)
    if ('allow' in named) return named
    return policy.profileFor?.(view, named.name, route) ?? { allow: true, profile: named.name ?? 'default', restricted: false }
  }

  function refuseUpgrade (request: FastifyRequest, reply: FastifyReply, code: ErrorCode): void {
    const raw = request.raw
    const socket = raw.socket
    reply.hijack()
    const spec = ERRORS[code]
    refusals.handleUpgrade(raw, socket, EMPTY, (ws) => {
      ws.on('error', () => {})
      // Read nothing more: what the client sends stays in the kernel, and the socket is destroyed
      // when the close timeout ends it. The close frame with the code and reason is still sent.
      ws.pause()
      ws.close(spec.close, closeReason(spec.reason))
    })
  }

  function offerCookie (view: RequestView, reply: FastifyReply): void {
    if (view.credentials.cookie === 'valid') return
    // HttpOnly, SameSite=Strict, scoped to the base path, Secure over https (@fastify/cookie writes it).
    reply.setCookie(settings.cookieName, token, {
      path: view.basePath === '' ? '/' : view.basePath,
      secure: view.scheme === 'https',
      maxAge: COOKIE_MAX_AGE,
      httpOnly: true,
      sameSite: 'strict',
    })
  }
}

/**
 * Where a page load with `?token=` is sent once the token is in the cookie: the same page without
 * it, on this site. The path is rebuilt from its segments, so `//evil.example/`, `/\\evil.example/`
 * or a scheme can never become a Location on another site.
 */
export function withoutToken (url: string, view: RequestView, settings: TrustSettings): string {
  const external = view.basePath.slice(0, view.basePath.length - settings.mountPrefix.length)
  const q = url.indexOf('?')
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
  params.delete('token')
  const rest = params.toString()
  return `${external}${safePath(view.path)}${rest === '' ? '' : `?${rest}`}`
}

/** `/a//b\\c/./d/` → `/a/b/c/d/`: one leading slash, no empty, `.` or `..` segment, no backslash. */
export function safePath (path: string): string {
  const segments = path.split(/[/\\]+/).filter((seg) => seg !== '' && seg !== '.' && seg !== '..')
  const trailing = segments.length > 0 && /[/\\]$/.test(path)
  return `/${segments.join('/')}${trailing ? '/' : ''}`
}

export default fp(trustPlugin, { name: 'hermes-trust', fastify: '5.x' })
