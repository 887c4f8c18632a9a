// src/backend/hygiene.ts
// What crosses to Hermes' own server, and back, as pure functions. The backend trusts whatever holds
// its token, so it must see only what the dashboard decided: no credential, cookie, identity or
// forwarded header of the client, no Origin, its own Host and token, a path that cannot leave it.

export type HeaderMap = Record<string, string | string[] | undefined>

/** Hop-by-hop headers (RFC 9110 §7.6.1) and framing the HTTP client sets itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host'])

/** The client's credentials, and everything a proxy says about where a request came from. */
const CLIENT_ONLY = new Set([
  'cookie', 'authorization', 'x-hermes-session-token', 'origin', 'referer',
  'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-prefix', 'x-forwarded-port', 'x-forwarded-server',
  'x-real-ip', 'true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'x-original-url', 'x-rewrite-url', 'via',
  'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-user',
  'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-accept',
])

/**
 * Identity headers of the SSO proxies people put in front (Authelia, authentik, oauth2-proxy,
 * Cloudflare Access, Tailscale, Pomerium, Grafana-style): never sent on, configured or not, so a
 * backend that might read one never sees a value the dashboard did not vouch for.
 */
const IDENTITY_PREFIXES = ['remote-', 'x-remote-', 'x-authentik-', 'x-auth-request-', 'x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups',
  'x-forwarded-preferred-username', 'cf-access-', 'tailscale-', 'x-pomerium-', 'x-webauth-', 'x-ms-client-principal', 'x-goog-authenticated-']

/** `Remote_User`, `remote.user` and `REMOTE-USER` are one header to a backend that folds them. */
function fold (name: string): string {
  return name.toLowerCase().replace(/[_.]/g, '-')
}

export interface BackendHop {
  /** Host header the backend accepts. */
  readonly host: string
  readonly token: string
  /** Identity headers of --auth-header/--groups-header (lower case), dropped in every spelling. */
  readonly identityHeaders: readonly string[]
}

/** The request headers the backend gets. */
export function backendRequestHeaders (headers: HeaderMap, hop: BackendHop): Record<string, string | string[]> {
  const identity = new Set(hop.identityHeaders.map(fold))
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const lower = name.toLowerCase()
    const folded = fold(lower)
    if (HOP_BY_HOP.has(lower) || CLIENT_ONLY.has(lower) || identity.has(folded) || IDENTITY_PREFIXES.some((p) => folded.startsWith(p))) continue
    out[lower] = value
  }
  out.host = hop.host
  out['x-hermes-session-token'] = hop.token
  return out
}

/** Query parameters that carry credentials of this dashboard; none reaches the backend. */
const SECRET_PARAMS = ['token', 'ticket', 'internal']

/**
 * The query the backend gets (without the leading `?`): credentials removed, and `profile=<p>` added
 * when the dashboard decided a profile the request did not name (a bound SSO user's own).
 */
export function backendQuery (search: string, addProfile: string | null, token: string | null = null): string {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search)
  for (const p of SECRET_PARAMS) params.delete(p)
  if (addProfile !== null && !params.has('profile')) params.set('profile', addProfile)
  // A WebSocket carries the backend's token in the URL, as Hermes' own front end sends it.
  if (token !== null) params.set('token', token)
  return params.toString()
}

/** Response headers the client must not get from the backend: its cookies, CORS grants, framing. */
export function clientResponseHeaders (headers: HeaderMap): HeaderMap {
  const out: HeaderMap = {}
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (lower === 'set-cookie' || lower.startsWith('access-control-') || lower === 'x-hermes-dashboard-source' || lower === 'connection' || lower === 'keep-alive' || lower === 'transfer-encoding') continue
    out[lower] = value
  }
  out['x-hermes-dashboard-source'] = 'backend'
  return out
}

/**
 * The path as it goes to the backend, or null when it could leave it: it must start with a single
 * `/`, and no segment may be `.` or `..` (decoded), hold a backslash or a NUL.
 */
export function forwardPath (raw: string): string | null {
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return null
  for (const segment of raw.split('/')) {
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      return null
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('\0') || decoded.includes('\\') || decoded.includes('/..') || decoded.startsWith('../')) return null
  }
  return raw
}

/** Words after /api/profiles/ that are routes, not profile names. */
const PROFILE_ROUTES = new Set(['sessions', 'active'])

/** The profile a forwarded path names: /api/profiles/<name>[/…]. */
export function profileInPath (path: string): string | null {
  const m = /^\/api\/profiles\/([^/?#]+)/.exec(path)
  if (m === null) return null
  let name: string
  try {
    name = decodeURIComponent(m[1] as string)
  } catch {
    return null
  }
  return PROFILE_ROUTES.has(name) ? null : name
}
