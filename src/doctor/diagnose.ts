// src/doctor/diagnose.ts
// `hermes-dashboard doctor`'s judgement, as a pure function: what the probes saw (probe.ts) in,
// the steps out, each passed or failed with what to change. The advice names the proxy line or the
// dashboard flag that fixes what was seen, in the words of docs/troubleshooting.md.

export interface HttpSeen {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
  /** The connection failed: refused, reset, TLS, timeout. */
  readonly error?: string
}

export type WsSeen =
  | { readonly kind: 'open' }
  | { readonly kind: 'close', readonly code: number, readonly reason: string }
  | { readonly kind: 'http', readonly status: number }
  | { readonly kind: 'error', readonly message: string }

export interface Seen {
  readonly url: URL
  /** A token was given to doctor. */
  readonly token: boolean
  /** The page carried the token (loopback mode, for this host), and doctor used it. */
  readonly pageToken: boolean
  readonly basicAuth: boolean
  readonly status: HttpSeen
  readonly page: HttpSeen
  /** GET /?token=…, when a token was given. */
  readonly tokenLoad: HttpSeen | null
  /** /api/trust/explain with the token (or the cookie), when it could be asked. */
  readonly explain: HttpSeen | null
  readonly sockets: Readonly<Record<string, WsSeen>>
}

export interface Step {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
  readonly fix?: string
}

const UPGRADE_FIX = 'The proxy does not pass WebSocket upgrades. nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; Caddy and Traefik pass them by default (docs/proxy-snippets.md).'

function header (h: HttpSeen, name: string): string {
  const v = h.headers[name]
  return Array.isArray(v) ? v.join(', ') : v ?? ''
}

function json (h: HttpSeen | null): Record<string, unknown> | null {
  if (h === null || !/json/.test(header(h, 'content-type'))) return null
  try {
    return JSON.parse(h.body) as Record<string, unknown>
  } catch {
    return null
  }
}

function fromDashboard (h: HttpSeen): boolean {
  return header(h, 'x-hermes-dashboard-source') !== ''
}

/** What a refusal of the dashboard means, in one line: its reason, detail and hint. */
function refusal (body: Record<string, unknown> | null): string {
  if (body === null) return ''
  return [body.error, body.detail, body.hint].filter((x) => typeof x === 'string' && x !== '').join(': ')
}

const basePathOf = (u: URL): string => u.pathname.replace(/\/+$/, '')

function statusStep (s: Seen): Step {
  const h = s.status
  const name = `GET ${basePathOf(s.url)}/api/status through the proxy`
  if (h.error !== undefined) return { name, ok: false, detail: `no answer: ${h.error}`, fix: 'Check the URL, and that the proxy is running and reaches the dashboard.' }
  const body = json(h)
  if (h.status === 200 && body !== null && 'dashboard' in body) return { name, ok: true, detail: `200 from hermes-dashboard ${String((body.dashboard as { version?: string }).version ?? '')} (${String((body.dashboard as { trust_mode?: string }).trust_mode ?? '?')} mode)` }
  if (h.status === 401 && !fromDashboard(h) && !/basic/i.test(header(h, 'www-authenticate'))) {
    return { name, ok: false, detail: '401 from the proxy: it wants a sign-in (an SSO portal, forward auth)', fix: 'Give doctor the session the browser has at the SSO proxy: --header \'Cookie: <its cookie>=<value>\' (the browser\'s developer tools show it), or its access token header.' }
  }
  if (h.status === 401 && /basic/i.test(header(h, 'www-authenticate'))) return { name, ok: false, detail: '401: the proxy asks for Basic auth', fix: 'Give doctor the proxy\'s user: --user name:password (the dashboard ignores Basic; its token travels in X-Hermes-Session-Token).' }
  if (h.status === 200 && /html/.test(header(h, 'content-type'))) {
    return { name, ok: false, detail: 'the answer is a page, not the status: the dashboard got the path with the prefix still on it', fix: `The proxy must strip ${basePathOf(s.url)} before passing the request on, and say it in X-Forwarded-Prefix. nginx: location ${basePathOf(s.url)}/ { proxy_pass http://127.0.0.1:9119/; proxy_set_header X-Forwarded-Prefix ${basePathOf(s.url)}; … } (the trailing slash strips it); Caddy: handle_path ${basePathOf(s.url)}/*.` }
  }
  if (body !== null && fromDashboard(h)) return { name, ok: false, detail: `${h.status} from the dashboard: ${refusal(body)}`, fix: String(body.hint ?? '') }
  return { name, ok: false, detail: `${h.status} from the proxy, not from the dashboard (no X-Hermes-Dashboard-Source)`, fix: h.status >= 502 && h.status <= 504 ? 'The proxy cannot reach the dashboard: check its upstream address, and that the dashboard listens there (--host, --port).' : 'Check the proxy\'s configuration for this path.' }
}

function pageStep (s: Seen): Step {
  const h = s.page
  const name = `GET ${basePathOf(s.url)}/ (the page)`
  if (h.error !== undefined) return { name, ok: false, detail: `no answer: ${h.error}` }
  if (h.status === 200 && /__HERMES_BASE_PATH__/.test(h.body)) {
    const base = /window\.__HERMES_BASE_PATH__="([^"]*)"/.exec(h.body)?.[1] ?? ''
    const withToken = /__HERMES_SESSION_TOKEN__/.test(h.body)
    if (base !== basePathOf(s.url)) return { name, ok: false, detail: `the page thinks it lives at "${base}/", the browser is at "${basePathOf(s.url)}/": its assets and sockets would miss`, fix: `Set X-Forwarded-Prefix ${basePathOf(s.url)} in the proxy and trust it (--trusted-proxies <proxy>), or start the dashboard with --public-url ${s.url.origin}${basePathOf(s.url)}.` }
    return { name, ok: true, detail: `the page, base path "${base}", ${withToken ? 'with the token in it' : 'without the token (it comes from the cookie)'}` }
  }
  if (h.status === 401 && /data-reason="token_(missing|invalid)"/.test(h.body)) {
    return { name, ok: s.token, detail: 'token mode: the page asks for the session token', ...(s.token ? {} : { fix: 'Give doctor the token (--token, or HERMES_DASHBOARD_SESSION_TOKEN): it is printed when the dashboard starts.' }) }
  }
  const reason = /data-reason="([a-z_]+)"/.exec(h.body)?.[1]
  if (reason !== undefined) return { name, ok: false, detail: `refused: ${reason}`, fix: /class="hint">([^<]*)</.exec(h.body)?.[1] ?? '' }
  return { name, ok: false, detail: `${h.status} ${header(h, 'content-type')}` }
}

function cookieStep (s: Seen): Step | null {
  const h = s.tokenLoad
  if (h === null) return null
  const name = 'the token into the cookie (GET /?token=…)'
  if (h.error !== undefined) return { name, ok: false, detail: h.error }
  const set = header(h, 'set-cookie')
  if (h.status !== 303 || set === '') {
    // The page answers a refusal with its reason in data-reason (or JSON): say which, not "the token".
    const reason = /data-reason="([a-z_]+)"/.exec(h.body)?.[1] ?? (json(h)?.error as string | undefined) ?? ''
    const tokenRefused = reason === '' || reason === 'token_invalid' || reason === 'token_missing'
    return {
      name,
      ok: false,
      detail: `${h.status}${reason === '' ? '' : ` ${reason}`}, ${set === '' ? 'no cookie' : set}`,
      fix: tokenRefused ? 'The token was not accepted; check it is this dashboard\'s (it changes at each start unless HERMES_DASHBOARD_SESSION_TOKEN fixes it).' : REASON_FIX[reason] ?? 'See the page step: the request itself was refused.',
    }
  }
  const path = /;\s*Path=([^;]*)/i.exec(set)?.[1] ?? ''
  const problems: string[] = []
  const fixes: string[] = []
  const want = basePathOf(s.url) === '' ? '/' : basePathOf(s.url)
  if (path !== want) {
    problems.push(`Path=${path}, but the dashboard is at ${want}`)
    fixes.push(`Send X-Forwarded-Prefix ${want} from the proxy and trust the proxy (--trusted-proxies), or use --public-url.`)
  }
  if (!/;\s*HttpOnly/i.test(set)) problems.push('not HttpOnly')
  if (!/;\s*SameSite=Strict/i.test(set)) problems.push('not SameSite=Strict')
  const secure = /;\s*Secure/i.test(set)
  if (s.url.protocol === 'https:' && !secure) {
    problems.push('not Secure on an https URL: the dashboard does not know the browser uses TLS')
    fixes.push('Have the proxy send X-Forwarded-Proto $scheme, and trust it: --trusted-proxies <the proxy\'s address> (loopback for a proxy on this host).')
  }
  const location = header(h, 'location')
  if (!location.startsWith(want === '/' ? '/' : `${want}/`)) {
    problems.push(`redirected to ${location}, outside ${want}`)
    fixes.push(`Send X-Forwarded-Prefix ${want} from the proxy (and trust it).`)
  }
  return problems.length === 0
    ? { name, ok: true, detail: `303 to ${location}; cookie Path=${path}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}` }
    : { name, ok: false, detail: problems.join('; '), fix: fixes.join(' ') }
}

function explainSteps (s: Seen): Step[] {
  const body = json(s.explain)
  if (s.explain === null) return []
  if (body === null || s.explain.status !== 200) {
    return [{ name: 'how the dashboard sees this client (/api/trust/explain)', ok: false, detail: `${s.explain.status}: ${refusal(body) || s.explain.error || 'no JSON'}`, fix: String(body?.hint ?? 'Give doctor the token (--token).') }]
  }
  const steps: Step[] = []
  const peer = body.peer as { address: string, trusted_proxy: boolean }
  const fwd = body.forwarded as { sent: string[], read: boolean, ignored: string[] }
  const req = body.request as { scheme: string, path: string }
  const host = body.host as { raw: string, allowed: boolean } | null
  const fhost = body.forwarded_host as { raw: string } | null
  const problems = body.problems as Array<{ reason: string, detail: string, hint: string }>
  const name = 'how the dashboard sees this client (/api/trust/explain)'
  const notes: string[] = [`mode ${String(body.mode)}`, `connection from ${peer.address}${peer.trusted_proxy ? ' (a trusted proxy)' : ''}`]
  if (fwd.ignored.length > 0 && !peer.trusted_proxy) {
    steps.push({ name: 'forwarded headers', ok: false, detail: `${peer.address} sent ${fwd.ignored.join(', ')}, and they are ignored: it is not a trusted proxy`, fix: `Start the dashboard with --trusted-proxies ${peer.address} (or loopback, for a proxy on this host).` })
  } else if (fwd.read) {
    notes.push(`its ${fwd.sent.join(', ')} read`)
  }
  if (req.scheme !== s.url.protocol.replace(':', '')) {
    steps.push({ name: 'scheme', ok: false, detail: `the browser uses ${s.url.protocol.replace(':', '')}, the dashboard sees ${req.scheme}`, fix: 'Have the proxy send X-Forwarded-Proto $scheme, and trust it (--trusted-proxies).' })
  }
  const seenHost = fhost?.raw ?? host?.raw ?? ''
  if (seenHost.toLowerCase() !== s.url.host.toLowerCase()) {
    steps.push({ name: 'host', ok: host?.allowed === true, detail: `the browser asks for ${s.url.host}, the dashboard sees ${seenHost}${fhost === null ? ' (the proxy pinned Host, and sent no X-Forwarded-Host it trusts)' : ''}`, fix: 'Keep the browser\'s host and port: nginx proxy_set_header Host $http_host; (or X-Forwarded-Host $http_host with the proxy trusted), and allow the name with --allowed-hosts.' })
  }
  for (const p of problems) steps.push({ name: p.reason, ok: false, detail: p.detail, fix: p.hint })
  if (body.credentials !== undefined && (body.credentials as { ignoredAuthorization?: string | null }).ignoredAuthorization === 'Basic') notes.push('Authorization: Basic belongs to the proxy and is ignored (the token travels in X-Hermes-Session-Token)')
  const verdicts = body.verdicts as Record<string, { allow: boolean, reason?: string, hint?: string }>
  for (const [k, v] of Object.entries(verdicts)) {
    if (k === 'this_request' || v.allow) continue
    steps.push({ name: `${k.replace('_', ' ')} verdict`, ok: false, detail: v.reason ?? 'refused', fix: v.hint ?? '' })
  }
  return [{ name, ok: true, detail: notes.join('; ') }, ...steps]
}

const CLOSE_FIX: Readonly<Record<number, string>> = {
  4401: 'The socket had no valid token: reload the page (a restart changes the token unless HERMES_DASHBOARD_SESSION_TOKEN fixes it).',
  4403: 'The Host or Origin the socket arrived with is not the dashboard\'s: keep the browser\'s Host in the proxy (proxy_set_header Host $http_host) and allow the name (--allowed-hosts).',
  4408: 'The connection came from an address this trust mode does not admit: a proxy on another host needs --trust proxy --trusted-proxies <its address>.',
}

/** Fixes for a refusal reason that a close code alone does not tell apart. */
const REASON_FIX: Readonly<Record<string, string>> = {
  identity_missing: 'The SSO proxy sent no identity header on this request: it must set the --auth-header header on every request, WebSocket upgrades included. doctor itself has no SSO session: give it the proxy\'s cookie with --header \'Cookie: <name>=<value>\' (from the browser).',
  identity_header_spoofed: 'An identity header came from a peer that is not a trusted proxy, or in another spelling: only the SSO proxy may set it (--trusted-proxies <it>), and it must replace what clients send.',
  profile_forbidden: 'This user\'s groups bind no profile for this: see --group-profiles.',
}

const reasonOf = (text: string): string => /^[a-z_]+/.exec(text)?.[0] ?? ''

/** Each socket as the page opens it: it must pass the trust check (what the route does after is its own). */
function socketSteps (s: Seen): Step[] {
  return Object.entries(s.sockets).map(([path, w]): Step => {
    const name = `WebSocket ${basePathOf(s.url)}${path}`
    if (w.kind === 'open') return { name, ok: true, detail: 'upgraded, and accepted' }
    if (w.kind === 'close') {
      // The trust check passed when the route's own answer closes it (a parameter doctor sent on purpose).
      if (w.code === 1011 || (w.code === 4400 && /^(profile_invalid|query_invalid)/.test(w.reason)) || w.code === 1000) return { name, ok: true, detail: `upgraded and accepted (the route then closed ${w.code} ${w.reason}, as doctor asked)` }
      return { name, ok: false, detail: `closed ${w.code} ${w.reason}`, fix: REASON_FIX[reasonOf(w.reason)] ?? CLOSE_FIX[w.code] ?? '' }
    }
    if (w.kind === 'http') {
      if (w.status === 426) return { name, ok: false, detail: '426: the request reached the dashboard without its Upgrade header', fix: UPGRADE_FIX }
      return { name, ok: false, detail: `HTTP ${w.status} instead of an upgrade`, fix: w.status === 400 || w.status === 404 || w.status === 502 ? UPGRADE_FIX : '' }
    }
    return { name, ok: false, detail: w.message, fix: 'Check the URL and that the proxy passes WebSockets.' }
  })
}

export function diagnose (s: Seen): Step[] {
  const steps = [statusStep(s), pageStep(s)]
  const cookie = cookieStep(s)
  if (cookie !== null) steps.push(cookie)
  steps.push(...explainSteps(s), ...socketSteps(s))
  return steps
}
