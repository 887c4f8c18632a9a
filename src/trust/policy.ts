// src/trust/policy.ts
// The trust policy: evaluate(view, route) → Allow | Deny. Pure. One decision for REST and WebSockets:
// the transport only changes how a Deny is delivered (HTTP status or close code), never the decision.

import type { ErrorCode } from '../errors.js'
import { boundProfiles } from './identity.js'
import { isSafeMethod, type HostCheck, type RequestView } from './inspect.js'
import type { TrustMode, TrustSettings } from './settings.js'

/**
 * Access classes, declared by each route in its options:
 * - public: host, origin and admission checks only (status, static assets);
 * - protected: plus a credential;
 * - page: the front end's index.html; the modes that inject the token admit any admitted caller,
 *   token mode wants the token (a denial renders the token page instead of JSON);
 * - diagnostic: /api/trust/explain; a direct caller on this host may always ask how it was seen,
 *   anyone else needs what a protected route needs.
 */
export type Access = 'public' | 'protected' | 'page' | 'diagnostic'

export interface RouteTrust {
  readonly access: Access
  /** `?token=` is accepted: WebSocket upgrades (browsers cannot set headers there), downloads, the page. */
  readonly queryToken: boolean
  /** The route takes a chat's own publisher credential (`?internal=`): /api/pub only. */
  readonly capability?: boolean
  /** The route acts in a Hermes profile: a request that names none needs a profile of its own. */
  readonly profiled?: boolean
}

/** How an allowed request was authorised. */
export type Via = 'token' | 'ticket' | 'internal' | 'cookie' | 'identity' | 'open' | 'none'

export interface Allow {
  readonly allow: true
  readonly via: Via
  /** The caller proved it holds a credential (or needs none): it may be shown local details. */
  readonly authenticated: boolean
}

export interface Deny {
  readonly allow: false
  readonly code: ErrorCode
  readonly detail: string
  readonly hint: string
}

export type Verdict = Allow | Deny

/** The profile a request acts in; null when it names none and the caller has none of its own. */
export interface ProfileChoice {
  readonly allow: true
  readonly profile: string | null
  /** A binding limits the caller to some profiles (so every name it gives must be checked). */
  readonly restricted: boolean
}

/** What an embedding program may replace: any object with this shape. */
export interface TrustPolicy {
  readonly mode: string
  evaluate (view: RequestView, route: RouteTrust): Verdict
  /**
   * The profile of an allowed request, decided once from the name it gives (query, path or JSON
   * body; null for none). Without this method, a named profile is used and `default` otherwise.
   */
  profileFor? (view: RequestView, named: string | null, route: RouteTrust): ProfileChoice | Deny
}

export const PUBLIC: RouteTrust = Object.freeze({ access: 'public', queryToken: false })
export const PROTECTED: RouteTrust = Object.freeze({ access: 'protected', queryToken: false })

function deny (code: ErrorCode, detail: string, hint: string): Deny {
  return { allow: false, code, detail, hint }
}

const ALLOW_PUBLIC: Allow = Object.freeze({ allow: true, via: 'none', authenticated: false })

/** Checks every mode makes, in order, before admission: malformed input, preflight, Host, Origin. */
function checkRequest (view: RequestView, settings: TrustSettings): Deny | null {
  const problem = view.problems[0]
  if (problem !== undefined) return deny(problem.code, problem.detail, problem.hint)
  if (view.preflight) {
    return deny('HD_ERR_CORS_PREFLIGHT_REFUSED', `cross-origin preflight from ${view.origin.raw ?? 'an unknown origin'} refused`,
      'The dashboard grants CORS to no other origin; open it from its own address.')
  }
  if (view.host === null) {
    return deny('HD_ERR_HOST_NOT_ALLOWED', 'no Host header', 'Send the host name the dashboard is reached by.')
  }
  if (!view.host.allowed) return hostDenial('Host', view.host, settings)
  if (view.forwardedHost !== null && !view.forwardedHost.allowed) return hostDenial('X-Forwarded-Host', view.forwardedHost, settings)
  if (view.origin.kind === 'invalid' || (view.origin.kind === 'web' && !view.origin.allowed)) {
    return deny('HD_ERR_ORIGIN_NOT_ALLOWED', `Origin ${clip(view.origin.raw ?? '')} is not a page of this dashboard`,
      'Open the dashboard at an allowed address; if that is the address you use, add its host to --allowed-hosts or --public-url.')
  }
  return null
}

function hostDenial (header: string, host: HostCheck, settings: TrustSettings): Deny {
  const name = clip(host.value?.name ?? host.raw, 80)
  return deny('HD_ERR_HOST_NOT_ALLOWED', `${header} "${clip(host.raw, 80)}" is not a name this dashboard answers to`,
    `If you reach the dashboard as ${name}, add it with --allowed-hosts ${name} (or --public-url)` +
    (settings.hosts.names.length > 0 ? ` (allowed now: ${settings.hosts.names.join(', ')}, localhost and IP addresses).` : ' (allowed now: localhost and IP addresses).'))
}

function clip (text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/** Who may connect at all, by mode, decided on the raw socket peer (never on a forwarded address). */
function admit (mode: TrustMode, view: RequestView): Deny | null {
  if (mode === 'loopback' && !view.peerIsThisHost) {
    return deny('HD_ERR_PEER_NOT_ALLOWED', `connection from ${view.peer}, not from this host`,
      'Loopback mode admits only this host (a browser here, or a proxy here). For a proxy on another host use --trust proxy --trusted-proxies <its address>; for direct LAN access use --trust token.')
  }
  if (mode === 'proxy' && !view.peerIsThisHost && !view.peerIsTrustedProxy) {
    return deny('HD_ERR_PEER_NOT_ALLOWED', `connection from ${view.peer}, which is not a trusted proxy`,
      `Proxy mode admits only --trusted-proxies and this host; if ${view.peer} is your proxy, add it to --trusted-proxies.`)
  }
  return null
}

/**
 * Ambient credentials (cookie, proxy identity) ride along with any request the browser makes, so a
 * state-changing request or an upgrade carrying only one needs proof that the dashboard's own page
 * sent it: an Origin equal to the request's own (scheme, host and port), or, where the browser sent
 * no Origin, Sec-Fetch-Site: same-origin. Another origin, even one naming an allowed host (the
 * plain-HTTP origin of an HTTPS dashboard, another port), is refused.
 */
function ambientCheck (view: RequestView, via: string): Deny | null {
  if (view.origin.kind === 'non-web') return deny('HD_ERR_ORIGIN_NOT_ALLOWED', `Origin ${clip(view.origin.raw ?? '')} with only a ${via}`, NON_WEB_HINT)
  if (isSafeMethod(view.method) && !view.upgrade) return null
  if (view.origin.kind === 'web') {
    if (view.origin.sameOrigin) return null
    return deny('HD_ERR_ORIGIN_NOT_ALLOWED', `Origin ${clip(view.origin.raw ?? '')} is not this dashboard's origin (${view.scheme}://${view.forwardedHost?.raw ?? view.host?.raw ?? '?'}), and only a ${via} was offered`,
      'Open the dashboard at the address it is served from (same scheme, host and port), or send the session token explicitly.')
  }
  if (view.fetchSite === 'same-origin') return null
  return deny('HD_ERR_SAME_ORIGIN_REQUIRED', `only a ${via} was offered, on a state-changing request without same-origin evidence`,
    'Send X-Hermes-Session-Token (or ?token= on a WebSocket), or make the request from the dashboard page itself (the browser then sends a matching Origin).')
}

const NON_WEB_HINT = 'Desktop shells (file://, app://, null origins) must send the session token explicitly.'

/** `?token=` counts on routes that take it and on every WebSocket upgrade (browsers cannot set headers there). */
function queryTokenUsable (view: RequestView, route: RouteTrust): boolean {
  return route.queryToken || view.upgrade
}

function explicitToken (view: RequestView, route: RouteTrust): boolean {
  const c = view.credentials
  return c.header === 'valid' || c.bearer === 'valid' || (queryTokenUsable(view, route) && c.query === 'valid') || (view.upgrade && c.ticket === 'valid')
}

/** A ticket is single use: the trust hook uses it up when the verdict rests on it alone. */
export function restsOnTicket (view: RequestView, route: RouteTrust): boolean {
  const c = view.credentials
  return view.upgrade && c.ticket === 'valid' && !(c.header === 'valid' || c.bearer === 'valid' || (queryTokenUsable(view, route) && c.query === 'valid'))
}

const ALLOW_TOKEN: Allow = Object.freeze({ allow: true, via: 'token', authenticated: true })

const CAPABILITY_HINT = '?internal= is a chat program\'s own credential: it is accepted only on /api/pub, for that chat\'s channel, on a direct connection from this host, while the chat runs. Use the session token.'

/** The credential part of the decision for a protected request; token_missing means nothing was offered. */
function checkCredential (view: RequestView, route: RouteTrust, settings: TrustSettings): Verdict {
  const c = view.credentials
  const queryUsed = queryTokenUsable(view, route)
  const invalid = c.header === 'invalid' ? 'X-Hermes-Session-Token'
    : c.bearer === 'invalid' ? 'Authorization: Bearer'
      : queryUsed && c.query === 'invalid' ? '?token='
        : view.upgrade && c.ticket === 'invalid' ? '?ticket=' : null
  if (invalid !== null) {
    return deny('HD_ERR_TOKEN_INVALID', `${invalid} does not match this server's session token`,
      'The token changes when the dashboard restarts unless set with HERMES_DASHBOARD_SESSION_TOKEN; reload the page or use the token printed at start-up.')
  }
  if (c.internal !== 'absent') {
    // A chat's publisher, and nothing else: its own route and channel (the credential was checked
    // against ?channel= in inspect), a WebSocket from this host, and no proxy in between, so no
    // forwarded or identity header; the identity rules below are never skipped for anyone else.
    const direct = view.upgrade && view.peerIsThisHost && view.forwarded.sent.length === 0 && !view.identitySent
    if (c.internal === 'valid' && route.capability === true && direct) return { allow: true, via: 'internal', authenticated: true }
    return deny('HD_ERR_TOKEN_INVALID', c.internal === 'valid' ? '?internal= is not accepted on this request' : '?internal= is not a credential of a running chat for this channel', CAPABILITY_HINT)
  }

  const explicit = explicitToken(view, route)
  const identity = settings.identity
  if (identity !== null && view.peerIsTrustedProxy) {
    // Through the SSO proxy the identity is required, even with a token; the profile binding is
    // applied to the profile the request names (profileFor).
    if (view.identity === null) {
      return deny('HD_ERR_IDENTITY_MISSING', `the request came from the proxy ${view.peer} without ${identity.userHeader}`,
        `Make the proxy authenticate this path and set ${identity.userHeader} (Authelia: Remote-User; authentik: X-authentik-username).`)
    }
    if (explicit) return ALLOW_TOKEN
    return ambientCheck(view, 'proxy identity') ?? { allow: true, via: 'identity', authenticated: true }
  }

  if (explicit) return ALLOW_TOKEN
  if (c.cookie === 'valid') return ambientCheck(view, 'cookie') ?? { allow: true, via: 'cookie', authenticated: true }
  if (c.cookie === 'invalid') {
    return deny('HD_ERR_TOKEN_INVALID', 'the session cookie does not hold this server\'s token', 'Reload the page to get a new cookie.')
  }
  const misplaced = !queryUsed && c.query !== 'absent'
  return deny('HD_ERR_TOKEN_MISSING', misplaced ? '?token= is accepted only on WebSocket upgrades, downloads and the page' : 'no session token offered',
    'Send X-Hermes-Session-Token: <token> (or Authorization: Bearer <token>; ?token= on WebSockets). The token is printed at start-up and injected into the page.')
}

/**
 * The profile binding of --group-profiles, for a request through the SSO proxy. A profile the request
 * names must be bound to one of the user's groups; a request that names none is served in the
 * user's only profile, else in `default` when they may use it, else (routes about a profile) refused.
 * Without a binding (no SSO, an admin's `*`), the named profile or `default`.
 */
export function chooseProfile (view: RequestView, named: string | null, route: RouteTrust, settings: TrustSettings): ProfileChoice | Deny {
  const identity = settings.identity
  const bound = identity !== null && identity.groupProfiles !== null && view.peerIsTrustedProxy && view.identity !== null
    ? boundProfiles(identity, view.identity)
    : '*'
  if (bound === '*') return { allow: true, profile: named ?? 'default', restricted: false }
  const user = clip(view.identity?.user ?? '', 64)
  const allowed = bound.size === 0 ? 'None of the user\'s groups is bound to a profile in --group-profiles.' : `Allowed: ${[...bound].join(', ')}.`
  if (named !== null) {
    return bound.has(named) ? { allow: true, profile: named, restricted: true } : deny('HD_ERR_PROFILE_FORBIDDEN', `user ${user} may not use profile "${clip(named, 64)}"`, allowed)
  }
  if (bound.size === 1) return { allow: true, profile: [...bound][0] as string, restricted: true }
  if (bound.has('default')) return { allow: true, profile: 'default', restricted: true }
  if (route.profiled !== true) return { allow: true, profile: null, restricted: true }
  return deny('HD_ERR_PROFILE_FORBIDDEN', `user ${user} named no profile, and has no single profile of their own`,
    bound.size === 0 ? allowed : `Name one with ?profile=: ${[...bound].join(', ')}.`)
}

interface ModeRules {
  readonly mode: TrustMode
  /** The page may be served (with the token) to any admitted caller that offered nothing. */
  readonly pageBootstrap: (view: RequestView, settings: TrustSettings) => boolean
  /** Protected routes need no credential at all. */
  readonly open: boolean
}

function createPolicy (rules: ModeRules, settings: TrustSettings): TrustPolicy {
  const { mode } = rules
  return {
    mode,
    evaluate (view, route) {
      const early = checkRequest(view, settings)
      if (early !== null) return early
      // Someone on this host asking directly (no proxy in between) may always see how it was seen.
      if (route.access === 'diagnostic' && view.peerIsLoopback && view.forwarded.sent.length === 0) return { allow: true, via: 'none', authenticated: false }
      const refused = admit(mode, view)
      if (refused !== null) return refused
      if (route.access === 'public') {
        // Public routes answer anyway; whether the caller is authenticated only decides what they show.
        return rules.open || checkCredential(view, route, settings).allow ? { allow: true, via: 'none', authenticated: true } : ALLOW_PUBLIC
      }
      if (rules.open) {
        if (view.origin.kind === 'non-web' && !explicitToken(view, route)) {
          return deny('HD_ERR_ORIGIN_NOT_ALLOWED', `Origin ${clip(view.origin.raw ?? '')} without a token`, NON_WEB_HINT)
        }
        return { allow: true, via: 'open', authenticated: true }
      }
      const verdict = checkCredential(view, route, settings)
      // Bootstrap: the modes that hand out the token give the page to an admitted caller offering nothing.
      if (!verdict.allow && verdict.code === 'HD_ERR_TOKEN_MISSING' && route.access === 'page' && rules.pageBootstrap(view, settings) && view.origin.kind !== 'non-web') {
        return { allow: true, via: 'open', authenticated: true }
      }
      return verdict
    },
    profileFor: (view, named, route) => chooseProfile(view, named, route, settings),
  }
}

/**
 * The built-in policies. loopback: only this host connects, and gets the token in the page.
 * proxy: trusted proxies and this host connect; through an SSO proxy the identity header is the
 * credential. token: anyone connects; the token must be presented. insecure: anyone, no credential.
 */
export function builtInPolicy (settings: TrustSettings): TrustPolicy {
  switch (settings.mode) {
    case 'loopback':
      return createPolicy({ mode: 'loopback', open: false, pageBootstrap: () => true }, settings)
    case 'proxy':
      // With an SSO identity configured, a request through the proxy must carry it even for the page.
      return createPolicy({ mode: 'proxy', open: false, pageBootstrap: (view, s) => s.identity === null || !view.peerIsTrustedProxy }, settings)
    case 'token':
      return createPolicy({ mode: 'token', open: false, pageBootstrap: () => false }, settings)
    case 'insecure':
      return createPolicy({ mode: 'insecure', open: true, pageBootstrap: () => true }, settings)
  }
}
