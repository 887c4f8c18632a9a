// src/trust/inspect.ts
// inspect(request) → RequestView: who is asking, through what, with what. Pure: it reads the request
// and the compiled settings, decides nothing, and never keeps a credential's value.

import type { IncomingHttpHeaders } from 'node:http'
import type { ErrorCode } from '../errors.js'
import { bearerToken, MAX_CREDENTIAL_LENGTH, readCookie, SESSION_HEADER } from './credentials.js'
import { chooseClient, ForwardedHeaderError, parseForwarded, type ForwardedFamily } from './forwarded.js'
import { parseHost, parseOrigin, sameOrigin, type HostValue } from './hosts.js'
import { readIdentity, type Identity } from './identity.js'
import { joinPrefix, normalizePrefix } from './prefix.js'
import type { TrustSettings } from './settings.js'

/** The parts of an HTTP request inspection reads; plain data, so tests can build one by hand. */
export interface RawRequest {
  /** socket.remoteAddress as Node reports it (may be IPv4-mapped IPv6, may be empty). */
  readonly peer: string
  readonly method: string
  /** Path and query as received. */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  /** Node's flat [name, value, ...] list: every line, exact spelling. */
  readonly rawHeaders: readonly string[]
  /** A WebSocket upgrade. */
  readonly upgrade: boolean
  /** The connection itself is TLS. */
  readonly encrypted: boolean
  /** socket.localAddress: a peer with the same address is this host reaching one of its own addresses. */
  readonly local?: string
}

/** How one kind of credential fared: not offered, offered and matching, offered and not matching. */
export type CredentialState = 'absent' | 'valid' | 'invalid'

export interface OfferedCredentials {
  /** X-Hermes-Session-Token. */
  readonly header: CredentialState
  /** Authorization: Bearer. */
  readonly bearer: CredentialState
  /** ?token= (accepted only where the route allows it). */
  readonly query: CredentialState
  /** ?internal=: valid when it is the credential granted to a chat for this request's ?channel=. */
  readonly internal: CredentialState
  readonly cookie: CredentialState
  /** ?ticket= of POST /api/auth/ws-ticket: valid when outstanding and issued to this request's identity. */
  readonly ticket: CredentialState
  /** Other Authorization schemes seen (Basic belongs to the proxy and is ignored). */
  readonly ignoredAuthorization: string | null
}

export interface HostCheck {
  readonly raw: string
  readonly value: HostValue | null
  readonly allowed: boolean
}

export type OriginKind = 'absent' | 'web' | 'non-web' | 'invalid'

export interface OriginCheck {
  readonly raw: string | null
  readonly kind: OriginKind
  /** Web origin naming an allowed host (always false for other kinds). */
  readonly allowed: boolean
  /** Web origin equal to this request's effective origin: scheme, host and port. */
  readonly sameOrigin: boolean
}

export interface ForwardedView {
  readonly family: ForwardedFamily
  /** Forwarded headers present on the request, read or not. */
  readonly sent: readonly string[]
  /** The peer is a trusted proxy and its forwarded headers were read. */
  readonly read: boolean
  /** Forwarded headers present but ignored (untrusted peer, or the other family). */
  readonly ignored: readonly string[]
  /** Headers the values were taken from. */
  readonly used: readonly string[]
  /** The chain, client first. */
  readonly hops: readonly string[]
  /** Index into hops of the client, -1 when the peer is the client. */
  readonly chosen: number
  /** X-Forwarded-Prefix as sent, when read. */
  readonly prefix: string | null
}

export interface Problem {
  readonly code: ErrorCode
  readonly detail: string
  readonly hint: string
}

export interface RequestView {
  readonly method: string
  readonly path: string
  readonly upgrade: boolean
  /** Raw socket peer, IPv4-mapped IPv6 folded to IPv4. */
  readonly peer: string
  readonly peerIsLoopback: boolean
  /** Loopback, or this host connecting to its own non-loopback address (a program the server started). */
  readonly peerIsThisHost: boolean
  readonly peerIsTrustedProxy: boolean
  readonly forwarded: ForwardedView
  /** The resolved client address (the peer unless a trusted proxy forwarded one). */
  readonly client: string
  readonly scheme: 'http' | 'https'
  readonly host: HostCheck | null
  /** X-Forwarded-Host (or Forwarded host=) from a trusted proxy. */
  readonly forwardedHost: HostCheck | null
  readonly origin: OriginCheck
  /** Sec-Fetch-Site as sent by the browser. */
  readonly fetchSite: string | null
  /** A CORS preflight (OPTIONS with Access-Control-Request-Method). */
  readonly preflight: boolean
  /** Base path the browser sees, `''` or `/a/b`. */
  readonly basePath: string
  readonly credentials: OfferedCredentials
  readonly identity: Identity | null
  /** An identity header (--auth-header or --groups-header) was present, whatever its value. */
  readonly identitySent: boolean
  /** The profile named by ?profile=, or null when none was (`''` and `current` name none). */
  readonly profile: string | null
  /** Defects found while reading the request; the policy refuses on the first. */
  readonly problems: readonly Problem[]
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
export function isSafeMethod (method: string): boolean {
  return SAFE_METHODS.has(method)
}

function single (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function lines (value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

function check (offered: string | null, matches: (t: string) => boolean): CredentialState {
  if (offered === null || offered === '') return 'absent'
  return offered.length <= MAX_CREDENTIAL_LENGTH && matches(offered) ? 'valid' : 'invalid'
}

/** The scheme word of an Authorization header (Basic, Digest); never any part of a credential. */
function authScheme (value: string): string {
  return /^([A-Za-z][\w.+~-]{0,31})[ \t]/.exec(value)?.[1] ?? '(malformed)'
}

const FORWARDED_HEADER_NAMES = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix', 'forwarded'] as const

export function inspect (req: RawRequest, settings: TrustSettings): RequestView {
  const headers = req.headers
  const problems: Problem[] = []
  const { address: peer, loopback: peerIsLoopback, trustedProxy: peerIsTrustedProxy } = settings.proxies.peer(req.peer)

  // ── path and query ──
  // Only origin-form targets (`/path?query`) are served. An absolute-form target names a host of
  // its own (`GET http://other.example/ HTTP/1.1`), which the Host rules never saw; `*` is for
  // OPTIONS to the server as a whole. Both are refused rather than routed by their path.
  if (!req.url.startsWith('/')) {
    problems.push({
      code: 'HD_ERR_REQUEST_TARGET_INVALID',
      detail: `request target ${JSON.stringify(req.url.slice(0, 80))} is not a path`,
      hint: 'Send the path only (GET /api/status HTTP/1.1) with the host in Host; the dashboard is not a forward proxy.',
    })
  }
  const q = req.url.indexOf('?')
  const path = q === -1 ? req.url : req.url.slice(0, q)
  const query = q === -1 ? null : new URLSearchParams(req.url.slice(q + 1))

  // ── forwarded headers: read from trusted proxies only, exactly one family ──
  const present = FORWARDED_HEADER_NAMES.filter((name) => headers[name] !== undefined)
  const ignored: string[] = []
  let hops: string[] = []
  let chosen = -1
  let client = peer
  let used: readonly string[] = []
  let forwardedProto: 'http' | 'https' | null = null
  let forwardedHostRaw: string | null = null
  let prefixRaw: string | null = null
  if (!peerIsTrustedProxy) {
    ignored.push(...present)
  } else if (present.length > 0) {
    const family = settings.forwarded
    for (const name of present) {
      const otherFamily = family === 'forwarded' ? name.startsWith('x-forwarded-') && name !== 'x-forwarded-prefix' : name === 'forwarded'
      if (otherFamily) ignored.push(name)
    }
    try {
      const chain = parseForwarded(family, {
        xForwardedFor: lines(headers['x-forwarded-for']),
        xForwardedProto: lines(headers['x-forwarded-proto']),
        xForwardedHost: lines(headers['x-forwarded-host']),
        forwarded: lines(headers.forwarded),
      })
      const choice = chooseClient(peer, chain.hops, (a) => settings.proxies.matches(a))
      hops = chain.hops.map((h) => h.value)
      chosen = choice.hop
      client = choice.client
      used = chain.headers
      forwardedProto = chain.proto
      forwardedHostRaw = chain.host
    } catch (err) {
      if (!(err instanceof ForwardedHeaderError)) throw err
      problems.push({
        code: 'HD_ERR_FORWARDED_HEADER_INVALID',
        detail: err.message,
        hint: `Fix the proxy's ${err.header} header, or remove ${peer} from --trusted-proxies if it is not your proxy.`,
      })
    }
    prefixRaw = single(headers['x-forwarded-prefix']) ?? null
  }

  // ── scheme, host, base path ──
  const scheme = forwardedProto ?? (req.encrypted ? 'https' : 'http')
  const hostRaw = single(headers.host)
  let host: HostCheck | null = null
  if (hostRaw !== undefined) {
    const value = parseHost(hostRaw)
    host = { raw: hostRaw, value, allowed: value !== null && settings.hosts.allows(value) }
  }
  let hostLines = 0
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).length === 4 && (req.rawHeaders[i] as string).toLowerCase() === 'host') hostLines++
  }
  if (hostLines > 1) {
    problems.push({ code: 'HD_ERR_HOST_NOT_ALLOWED', detail: 'more than one Host header', hint: 'Send exactly one Host header.' })
  }
  let forwardedHost: HostCheck | null = null
  if (forwardedHostRaw !== null) {
    const value = parseHost(forwardedHostRaw)
    forwardedHost = { raw: forwardedHostRaw, value, allowed: value !== null && settings.hosts.allows(value) }
  }
  const effectiveHost = forwardedHost?.value ?? host?.value ?? null

  let basePath = settings.publicBasePath
  if (prefixRaw !== null) {
    const prefix = normalizePrefix(prefixRaw)
    if (prefix === null) {
      problems.push({
        code: 'HD_ERR_FORWARDED_HEADER_INVALID',
        detail: 'X-Forwarded-Prefix: not a plain path (letters, digits and - . _ ~ @ : + / only; no ".." or "//"; at most 256 characters)',
        hint: 'Set X-Forwarded-Prefix in the proxy to the plain path the dashboard is served under, such as /hermes.',
      })
    } else {
      basePath = prefix
    }
  }
  basePath = joinPrefix(basePath, settings.mountPrefix)

  // ── origin ──
  const originRaw = single(headers.origin) ?? null
  let origin: OriginCheck = { raw: null, kind: 'absent', allowed: false, sameOrigin: false }
  if (originRaw !== null) {
    const parsed = parseOrigin(originRaw)
    if (parsed.kind === 'web') {
      origin = {
        raw: originRaw,
        kind: 'web',
        allowed: settings.hosts.allows(parsed.host),
        sameOrigin: effectiveHost !== null && sameOrigin(parsed, scheme, effectiveHost),
      }
    } else {
      origin = { raw: originRaw, kind: parsed.kind, allowed: false, sameOrigin: false }
    }
  }

  // ── identity asserted by an SSO proxy ──
  let identity: Identity | null = null
  let identitySent = false
  if (settings.identity !== null) {
    const reading = readIdentity(settings.identity, req.rawHeaders, peerIsTrustedProxy)
    identitySent = reading.kind !== 'absent' || reading.sent
    if (reading.kind === 'spoofed') {
      problems.push({
        code: 'HD_ERR_IDENTITY_HEADER_SPOOFED',
        detail: reading.detail,
        hint: `Only a proxy in --trusted-proxies may send ${settings.identity.userHeader}, once, spelled with dashes; make the proxy strip it from client requests.`,
      })
    } else if (reading.kind === 'present') {
      identity = reading.identity
    }
  }

  // ── credentials (states only; values are never kept) ──
  const token = settings.token
  const authorization = single(headers.authorization)
  const bearer = bearerToken(authorization)
  const cookieHeader = single(headers.cookie)
  const credentials: OfferedCredentials = {
    header: check(single(headers[SESSION_HEADER]) ?? null, (t) => token.matches(t)),
    bearer: check(bearer, (t) => token.matches(t)),
    query: check(query?.get('token') ?? null, (t) => token.matches(t)),
    internal: check(query?.get('internal') ?? null, (t) => settings.capabilities.matches(t, query?.get('channel') ?? null)),
    cookie: cookieHeader === undefined ? 'absent' : check(readCookie(cookieHeader, settings.cookieName), (t) => token.matches(t)),
    ticket: check(query?.get('ticket') ?? null, (t) => settings.tickets.valid(t, identity?.user ?? null)),
    ignoredAuthorization: authorization !== undefined && bearer === null ? authScheme(authorization) : null,
  }

  const profileParam = query?.get('profile') ?? ''
  // The policy binds users to profiles by this value; a second one could be what a route acts on.
  if (query !== null && query.getAll('profile').length > 1) {
    problems.push({ code: 'HD_ERR_QUERY_INVALID', detail: '?profile= was given more than once', hint: 'Name one profile.' })
  }
  const profile = profileParam === '' || profileParam === 'current' ? null : profileParam

  return {
    method: req.method,
    path,
    upgrade: req.upgrade,
    peer,
    peerIsLoopback,
    peerIsThisHost: peerIsLoopback || (req.local !== undefined && peer !== '' && settings.proxies.peer(req.local).address === peer),
    peerIsTrustedProxy,
    forwarded: { family: settings.forwarded, sent: present, read: peerIsTrustedProxy && present.length > 0, ignored, used, hops, chosen, prefix: prefixRaw },
    client,
    scheme,
    host,
    forwardedHost,
    origin,
    fetchSite: single(headers['sec-fetch-site']) ?? null,
    preflight: req.method === 'OPTIONS' && headers['access-control-request-method'] !== undefined,
    basePath,
    credentials,
    identity,
    identitySent,
    profile,
    problems,
  }
}
