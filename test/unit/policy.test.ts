// test/unit/policy.test.ts
// builtInPolicy(settings).evaluate(inspect(request), route) over hand-built requests: a table per
// mode for what the socket-level trust table cannot easily send (preflights, missing or doubled Host,
// misplaced ?token=, ?internal=, cookie-only writes, page bootstrap, the diagnostic route, public
// routes), and that every Deny carries a hint.

import t from 'tap'
import { ERRORS, type ErrorCode } from '../../src/errors.js'
import { cookieNameFor } from '../../src/trust/credentials.js'
import { inspect } from '../../src/trust/inspect.js'
import { builtInPolicy, PROTECTED, PUBLIC, type RouteTrust, type Verdict, type Via } from '../../src/trust/policy.js'
import type { TrustSettings } from '../../src/trust/settings.js'
import { INTERNAL, rawRequest, testSettings, TOKEN, type Req } from '../helpers/raw-request.js'

const COOKIE = `${cookieNameFor(TOKEN)}=${TOKEN}`
const OLD_COOKIE = `${cookieNameFor(TOKEN)}=token-of-an-earlier-run-0123`
const LOCAL = '127.0.0.1'
const LAN = '192.168.1.20'
const PROXY = '10.0.0.5'
const SAME = 'http://127.0.0.1:9119'
const EVIL = 'https://evil.example'

const PAGE: RouteTrust = { access: 'page', queryToken: true }
const DIAG: RouteTrust = { access: 'diagnostic', queryToken: false }
const QUERY: RouteTrust = { access: 'protected', queryToken: true }
const PROFILED: RouteTrust = { access: 'protected', queryToken: false, profiled: true }
const PUB: RouteTrust = { access: 'protected', queryToken: true, capability: true }

type ServerKey = 'loopback' | 'loopbackProxy' | 'proxy' | 'sso' | 'ssoLocal' | 'token' | 'insecure'

const settings = testSettings

const SERVERS: Record<ServerKey, TrustSettings> = {
  loopback: settings({ mode: 'loopback' }),
  loopbackProxy: settings({ mode: 'loopback', trustedProxies: ['loopback'] }),
  proxy: settings({ mode: 'proxy', trustedProxies: ['10.0.0.0/8'] }),
  sso: settings({
    mode: 'proxy',
    trustedProxies: ['10.0.0.0/8'],
    identity: { userHeader: 'remote-user', groupsHeader: 'remote-groups', separators: ',|', groupProfiles: new Map([['admins', ['*']], ['family', ['alice']], ['team', ['bob']], ['home', ['default']]]) },
  }),
  // The same-host SSO proxy of issue 10 item 1.
  ssoLocal: settings({
    mode: 'proxy',
    trustedProxies: ['loopback'],
    identity: { userHeader: 'remote-user', groupsHeader: 'remote-groups', separators: ',|', groupProfiles: new Map([['admins', ['*']], ['family', ['alice']]]) },
  }),
  token: settings({ mode: 'token' }),
  insecure: settings({ mode: 'insecure' }),
}

const req = rawRequest

const TOK: readonly [string, string] = ['X-Hermes-Session-Token', TOKEN]
const BAD_TOK: readonly [string, string] = ['X-Hermes-Session-Token', 'wrong-token-0123456789abcdef']

interface Case {
  readonly name: string
  readonly server: ServerKey
  readonly route?: RouteTrust
  readonly r: Req
  /** A reason code, or 'allow'. */
  readonly expect: ErrorCode | 'allow'
  readonly via?: Via
  readonly authenticated?: boolean
  /** Text the detail (for a Deny) must contain. */
  readonly detail?: RegExp
  /** The profile profileFor decides for an allowed request. */
  readonly profile?: string | null
}

const MODES: readonly ServerKey[] = ['loopback', 'loopbackProxy', 'proxy', 'sso', 'token', 'insecure']

const CASES: Case[] = [
  // ── checks every mode makes first ──
  ...MODES.flatMap((server): Case[] => [
    { name: `${server}: CORS preflight from another site`, server, r: { method: 'OPTIONS', headers: [['Origin', EVIL], ['Access-Control-Request-Method', 'POST'], TOK] }, expect: 'HD_ERR_CORS_PREFLIGHT_REFUSED' },
    { name: `${server}: CORS preflight on a public route`, server, route: PUBLIC, r: { method: 'OPTIONS', headers: [['Origin', SAME], ['Access-Control-Request-Method', 'DELETE']] }, expect: 'HD_ERR_CORS_PREFLIGHT_REFUSED' },
    { name: `${server}: plain OPTIONS is no preflight`, server, route: PUBLIC, r: { method: 'OPTIONS' }, expect: 'allow' },
    { name: `${server}: no Host header`, server, r: { host: null, headers: [TOK] }, expect: 'HD_ERR_HOST_NOT_ALLOWED', detail: /no Host/ },
    { name: `${server}: no Host header, public route`, server, route: PUBLIC, r: { host: null }, expect: 'HD_ERR_HOST_NOT_ALLOWED' },
    { name: `${server}: two Host lines`, server, r: { headers: [['Host', 'dash.example.test'], TOK] }, expect: 'HD_ERR_HOST_NOT_ALLOWED', detail: /more than one Host/ },
    { name: `${server}: DNS rebinding Host`, server, r: { host: 'rebind.attacker.test:9119', headers: [TOK] }, expect: 'HD_ERR_HOST_NOT_ALLOWED', detail: /rebind\.attacker\.test/ },
    { name: `${server}: unparseable Host`, server, r: { host: 'a b', headers: [TOK] }, expect: 'HD_ERR_HOST_NOT_ALLOWED' },
    { name: `${server}: foreign Origin with the token`, server, r: { headers: [['Origin', EVIL], TOK] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
    { name: `${server}: junk Origin`, server, r: { headers: [['Origin', 'junk'], TOK] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
    { name: `${server}: foreign Origin on a WebSocket`, server, route: QUERY, r: { upgrade: true, url: `/api/events?token=${TOKEN}`, headers: [['Origin', EVIL]] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
    { name: `${server}: the token from this host`, server, r: { headers: [TOK] }, expect: 'allow' },
  ]),

  // ── loopback ──
  { name: 'loopback: header token', server: 'loopback', r: { headers: [TOK] }, expect: 'allow', via: 'token', authenticated: true },
  { name: 'loopback: Bearer token', server: 'loopback', r: { headers: [['Authorization', `Bearer ${TOKEN}`]] }, expect: 'allow', via: 'token' },
  { name: 'loopback: Basic alone', server: 'loopback', r: { headers: [['Authorization', 'Basic dXNlcjpwYXNz']] }, expect: 'HD_ERR_TOKEN_MISSING' },
  { name: 'loopback: Basic next to the header token', server: 'loopback', r: { headers: [['Authorization', 'Basic dXNlcjpwYXNz'], TOK] }, expect: 'allow', via: 'token' },
  { name: 'loopback: wrong header token', server: 'loopback', r: { headers: [BAD_TOK] }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'loopback: wrong Bearer', server: 'loopback', r: { headers: [['Authorization', 'Bearer nope']] }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'loopback: nothing', server: 'loopback', r: {}, expect: 'HD_ERR_TOKEN_MISSING', detail: /no session token/ },
  { name: 'loopback: IPv6 loopback peer', server: 'loopback', r: { peer: '::1', host: '[::1]:9119', headers: [TOK] }, expect: 'allow' },
  { name: 'loopback: IPv4-mapped loopback peer', server: 'loopback', r: { peer: '::ffff:127.0.0.1', headers: [TOK] }, expect: 'allow' },
  { name: 'loopback: same-host proxy adds X-Forwarded-For (ignored)', server: 'loopback', r: { headers: [['X-Forwarded-For', '198.51.100.7'], TOK] }, expect: 'allow' },
  { name: 'loopback: LAN peer with the token', server: 'loopback', r: { peer: LAN, headers: [TOK] }, expect: 'HD_ERR_PEER_NOT_ALLOWED' },
  { name: 'loopback: LAN peer forging X-Forwarded-For 127.0.0.1', server: 'loopback', r: { peer: LAN, headers: [['X-Forwarded-For', '127.0.0.1'], TOK] }, expect: 'HD_ERR_PEER_NOT_ALLOWED' },
  { name: 'loopback: LAN peer on a public route', server: 'loopback', route: PUBLIC, r: { peer: LAN }, expect: 'HD_ERR_PEER_NOT_ALLOWED' },
  { name: 'loopback: header token from a null Origin', server: 'loopback', r: { headers: [['Origin', 'null'], TOK] }, expect: 'allow', via: 'token' },
  { name: 'loopback: header token on a POST without Origin', server: 'loopback', r: { method: 'POST', headers: [TOK] }, expect: 'allow', via: 'token' },

  // ?token= only where the route takes it
  { name: 'loopback: ?token= on a plain REST route', server: 'loopback', r: { url: `/api/x?token=${TOKEN}` }, expect: 'HD_ERR_TOKEN_MISSING', detail: /\?token= is accepted only/ },
  { name: 'loopback: wrong ?token= on a plain REST route', server: 'loopback', r: { url: '/api/x?token=nope' }, expect: 'HD_ERR_TOKEN_MISSING', detail: /\?token=/ },
  { name: 'loopback: ?token= on a route that takes it', server: 'loopback', route: QUERY, r: { url: `/api/files/download?token=${TOKEN}` }, expect: 'allow', via: 'token' },
  { name: 'loopback: wrong ?token= on a route that takes it', server: 'loopback', route: QUERY, r: { url: '/api/files/download?token=nope' }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'loopback: ?token= on a WebSocket upgrade', server: 'loopback', route: PROTECTED, r: { upgrade: true, url: `/api/events?token=${TOKEN}`, headers: [['Origin', SAME]] }, expect: 'allow', via: 'token' },
  { name: 'loopback: WebSocket without a credential', server: 'loopback', route: QUERY, r: { upgrade: true, url: '/api/events', headers: [['Origin', SAME]] }, expect: 'HD_ERR_TOKEN_MISSING' },

  // ?internal=: a chat's own publisher credential, a capability for its channel on /api/pub only
  // (issue 10 item 1). INTERNAL was granted for the channel chat-1.
  { name: 'loopback: ?internal= on /api/pub for its channel, from this host', server: 'loopback', route: PUB, r: { upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}` }, expect: 'allow', via: 'internal', authenticated: true },
  { name: 'loopback: ?internal= from IPv4-mapped loopback', server: 'loopback', route: PUB, r: { peer: '::ffff:127.0.0.1', upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}` }, expect: 'allow', via: 'internal' },
  { name: 'loopback: ?internal= for another channel', server: 'loopback', route: PUB, r: { upgrade: true, url: `/api/pub?channel=chat-2&internal=${INTERNAL}` }, expect: 'HD_ERR_TOKEN_INVALID', detail: /running chat for this channel/ },
  { name: 'loopback: ?internal= without a channel', server: 'loopback', route: PUB, r: { upgrade: true, url: `/api/pub?internal=${INTERNAL}` }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'loopback: ?internal= on /api/pty (another route)', server: 'loopback', route: QUERY, r: { upgrade: true, url: `/api/pty?channel=chat-1&internal=${INTERNAL}` }, expect: 'HD_ERR_TOKEN_INVALID', detail: /not accepted on this request/ },
  { name: 'loopback: ?internal= next to the session token on /api/pty', server: 'loopback', route: QUERY, r: { upgrade: true, url: `/api/pty?channel=chat-1&internal=${INTERNAL}&token=${TOKEN}` }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'loopback: ?internal= on a plain REST request', server: 'loopback', route: PUB, r: { url: `/api/pub?channel=chat-1&internal=${INTERNAL}` }, expect: 'HD_ERR_TOKEN_INVALID', detail: /not accepted on this request/ },
  { name: 'loopback: wrong ?internal=', server: 'loopback', route: PUB, r: { upgrade: true, url: '/api/pub?channel=chat-1&internal=nope' }, expect: 'HD_ERR_TOKEN_INVALID', detail: /\?internal=/ },
  { name: 'loopback: the session token is not the internal credential', server: 'loopback', route: PUB, r: { upgrade: true, url: `/api/pub?channel=chat-1&internal=${TOKEN}` }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'loopbackProxy: ?internal= relayed by the same-host proxy (X-Forwarded-For)', server: 'loopbackProxy', route: PUB, r: { upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}`, headers: [['X-Forwarded-For', '198.51.100.7']] }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'loopback: ?internal= with a forwarded header from an untrusted peer', server: 'loopback', route: PUB, r: { upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}`, headers: [['X-Forwarded-Host', 'dash.example.test']] }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'ssoLocal: ?internal= from this host, no identity header (the chat publisher)', server: 'ssoLocal', route: PUB, r: { upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}` }, expect: 'allow', via: 'internal' },
  { name: 'ssoLocal: ?internal= with an identity header: the identity rules apply', server: 'ssoLocal', route: PUB, r: { upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}`, headers: [['Remote-User', 'alice'], ['Remote-Groups', 'family']] }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'ssoLocal: ?internal= on /api/pty?profile=bob, no identity', server: 'ssoLocal', route: QUERY, r: { upgrade: true, url: `/api/pty?profile=bob&channel=chat-1&internal=${INTERNAL}` }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'token: ?internal= on an upgrade from the LAN', server: 'token', route: PUB, r: { peer: LAN, upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}` }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'proxy: ?internal= on an upgrade through the proxy', server: 'proxy', route: PUB, r: { peer: PROXY, upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}`, headers: [['X-Forwarded-For', '127.0.0.1']] }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'token: ?internal= from this host reaching its own LAN address (a non-loopback bind)', server: 'token', route: PUB, r: { peer: LAN, local: LAN, upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}` }, expect: 'allow', via: 'internal' },
  { name: 'proxy: this host on its own LAN address is admitted like loopback', server: 'proxy', route: PUB, r: { peer: `::ffff:${LAN}`, local: LAN, upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}` }, expect: 'allow', via: 'internal' },
  { name: 'proxy: a LAN peer whose address is not the server\'s own is not this host', server: 'proxy', route: PUB, r: { peer: LAN, local: '10.9.9.9', upgrade: true, url: `/api/pub?channel=chat-1&internal=${INTERNAL}` }, expect: 'HD_ERR_PEER_NOT_ALLOWED' },
  { name: 'insecure: ?internal= is not needed, open anyway', server: 'insecure', route: QUERY, r: { peer: LAN, upgrade: true, url: '/api/pty' }, expect: 'allow', via: 'open' },

  // cookies: ambient, so writes and upgrades need same-origin evidence
  { name: 'loopback: cookie on a GET', server: 'loopback', r: { headers: [['Cookie', COOKIE]] }, expect: 'allow', via: 'cookie', authenticated: true },
  { name: 'loopback: cookie-only POST without Origin', server: 'loopback', r: { method: 'POST', headers: [['Cookie', COOKIE]] }, expect: 'HD_ERR_SAME_ORIGIN_REQUIRED' },
  { name: 'loopback: cookie-only DELETE without Origin', server: 'loopback', r: { method: 'DELETE', headers: [['Cookie', COOKIE]] }, expect: 'HD_ERR_SAME_ORIGIN_REQUIRED' },
  { name: 'loopback: cookie POST with Sec-Fetch-Site: same-origin', server: 'loopback', r: { method: 'POST', headers: [['Cookie', COOKIE], ['Sec-Fetch-Site', 'same-origin']] }, expect: 'allow', via: 'cookie' },
  { name: 'loopback: cookie POST with a same Origin', server: 'loopback', r: { method: 'POST', headers: [['Cookie', COOKIE], ['Origin', SAME]] }, expect: 'allow', via: 'cookie' },
  { name: 'loopback: cookie POST with Sec-Fetch-Site: same-site', server: 'loopback', r: { method: 'POST', headers: [['Cookie', COOKIE], ['Sec-Fetch-Site', 'same-site']] }, expect: 'HD_ERR_SAME_ORIGIN_REQUIRED' },
  { name: 'loopback: cookie POST from another allowed origin', server: 'loopback', r: { method: 'POST', headers: [['Cookie', COOKIE], ['Origin', 'http://localhost:9119']] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
  // Issue 10 item 3: the whole origin counts (scheme, host, port), not host and port alone.
  { name: 'loopbackProxy: cookie POST from the http:// origin of an https dashboard', server: 'loopbackProxy', r: { method: 'POST', host: 'dash.example.test', headers: [['Cookie', COOKIE], ['X-Forwarded-Proto', 'https'], ['Origin', 'http://dash.example.test']] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED', detail: /not this dashboard's origin/ },
  { name: 'loopbackProxy: cookie upgrade from the http:// origin of an https dashboard', server: 'loopbackProxy', route: QUERY, r: { upgrade: true, url: '/api/events', host: 'dash.example.test', headers: [['Cookie', COOKIE], ['X-Forwarded-Proto', 'https'], ['Origin', 'http://dash.example.test']] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
  { name: 'loopbackProxy: cookie POST from the https origin itself', server: 'loopbackProxy', r: { method: 'POST', host: 'dash.example.test', headers: [['Cookie', COOKIE], ['X-Forwarded-Proto', 'https'], ['Origin', 'https://dash.example.test']] }, expect: 'allow', via: 'cookie' },
  { name: 'loopback: cookie POST from an https origin on a plain-HTTP connection', server: 'loopback', r: { method: 'POST', host: 'dash.example.test', headers: [['Cookie', COOKIE], ['Origin', 'https://dash.example.test']] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
  { name: 'loopback: cookie POST whose Origin disagrees with Sec-Fetch-Site: same-origin', server: 'loopback', r: { method: 'POST', headers: [['Cookie', COOKIE], ['Origin', 'http://localhost:9119'], ['Sec-Fetch-Site', 'same-origin']] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
  { name: 'loopbackProxy: the token from the http:// origin (explicit, not ambient)', server: 'loopbackProxy', r: { method: 'POST', host: 'dash.example.test', headers: [TOK, ['X-Forwarded-Proto', 'https'], ['Origin', 'http://dash.example.test']] }, expect: 'allow', via: 'token' },
  { name: 'loopback: cookie-only upgrade without Origin', server: 'loopback', route: QUERY, r: { upgrade: true, url: '/api/events', headers: [['Cookie', COOKIE]] }, expect: 'HD_ERR_SAME_ORIGIN_REQUIRED' },
  { name: 'loopback: cookie-only upgrade with a same Origin', server: 'loopback', route: QUERY, r: { upgrade: true, url: '/api/events', headers: [['Cookie', COOKIE], ['Origin', SAME]] }, expect: 'allow', via: 'cookie' },
  { name: 'loopback: cookie with a null Origin', server: 'loopback', r: { headers: [['Cookie', COOKIE], ['Origin', 'null']] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
  { name: 'loopback: cookie with a file: Origin', server: 'loopback', r: { headers: [['Cookie', COOKIE], ['Origin', 'file://']] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
  { name: 'loopback: our cookie holding another token', server: 'loopback', r: { headers: [['Cookie', OLD_COOKIE]] }, expect: 'HD_ERR_TOKEN_INVALID', detail: /does not hold this server's token/ },
  { name: 'loopback: header token with a cookie POST', server: 'loopback', r: { method: 'POST', headers: [['Cookie', COOKIE], TOK] }, expect: 'allow', via: 'token' },
  { name: 'token: LAN cookie on a same-origin POST', server: 'token', r: { peer: LAN, method: 'POST', host: '192.168.1.10:9119', headers: [['Cookie', COOKIE], ['Origin', 'http://192.168.1.10:9119']] }, expect: 'allow', via: 'cookie' },

  // page: modes that inject the token bootstrap with nothing offered
  { name: 'loopback: page with nothing offered', server: 'loopback', route: PAGE, r: { url: '/' }, expect: 'allow', via: 'open', authenticated: true },
  { name: 'loopback: page with a wrong ?token=', server: 'loopback', route: PAGE, r: { url: '/?token=nope' }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'loopback: page from a null Origin with nothing', server: 'loopback', route: PAGE, r: { url: '/', headers: [['Origin', 'null']] }, expect: 'HD_ERR_TOKEN_MISSING' },
  { name: 'loopback: page from the LAN', server: 'loopback', route: PAGE, r: { peer: LAN, url: '/' }, expect: 'HD_ERR_PEER_NOT_ALLOWED' },
  { name: 'loopbackProxy: page through the same-host proxy', server: 'loopbackProxy', route: PAGE, r: { url: '/', headers: [['X-Forwarded-For', '198.51.100.7']] }, expect: 'allow', via: 'open' },
  { name: 'token: page with nothing offered', server: 'token', route: PAGE, r: { peer: LAN, url: '/' }, expect: 'HD_ERR_TOKEN_MISSING' },
  { name: 'token: page from this host with nothing offered', server: 'token', route: PAGE, r: { url: '/' }, expect: 'HD_ERR_TOKEN_MISSING' },
  { name: 'token: page with ?token=', server: 'token', route: PAGE, r: { peer: LAN, url: `/?token=${TOKEN}` }, expect: 'allow', via: 'token' },
  { name: 'token: page with the cookie', server: 'token', route: PAGE, r: { peer: LAN, url: '/', headers: [['Cookie', COOKIE]] }, expect: 'allow', via: 'cookie' },
  { name: 'proxy: page through the proxy with nothing', server: 'proxy', route: PAGE, r: { peer: PROXY, url: '/', headers: [['X-Forwarded-For', '198.51.100.7']] }, expect: 'allow', via: 'open' },
  { name: 'sso: page through the proxy without identity', server: 'sso', route: PAGE, r: { peer: PROXY, url: '/' }, expect: 'HD_ERR_IDENTITY_MISSING' },
  { name: 'sso: page through the proxy with identity', server: 'sso', route: PAGE, r: { peer: PROXY, url: '/', headers: [['Remote-User', 'alice'], ['Remote-Groups', 'admins']] }, expect: 'allow', via: 'identity' },
  { name: 'sso: page from this host with nothing', server: 'sso', route: PAGE, r: { url: '/' }, expect: 'allow', via: 'open' },
  { name: 'insecure: page from the LAN', server: 'insecure', route: PAGE, r: { peer: LAN, url: '/' }, expect: 'allow', via: 'open', authenticated: true },

  // diagnostic: a direct caller on this host may always ask
  ...(['loopback', 'token', 'proxy', 'sso'] as const).map((server): Case => ({ name: `${server}: diagnostic from a direct loopback caller`, server, route: DIAG, r: { url: '/api/trust/explain' }, expect: 'allow', via: 'none', authenticated: false })),
  { name: 'token: diagnostic from direct ::1', server: 'token', route: DIAG, r: { peer: '::1', host: '[::1]:9119', url: '/api/trust/explain' }, expect: 'allow', authenticated: false },
  { name: 'token: diagnostic from loopback through a proxy (forwarded header sent)', server: 'token', route: DIAG, r: { url: '/api/trust/explain', headers: [['X-Forwarded-For', '198.51.100.7']] }, expect: 'HD_ERR_TOKEN_MISSING' },
  { name: 'loopbackProxy: diagnostic through the same-host proxy', server: 'loopbackProxy', route: DIAG, r: { url: '/api/trust/explain', headers: [['X-Forwarded-For', '198.51.100.7']] }, expect: 'HD_ERR_TOKEN_MISSING' },
  { name: 'token: diagnostic from the LAN without the token', server: 'token', route: DIAG, r: { peer: LAN, url: '/api/trust/explain' }, expect: 'HD_ERR_TOKEN_MISSING' },
  { name: 'token: diagnostic from the LAN with the token', server: 'token', route: DIAG, r: { peer: LAN, url: '/api/trust/explain', headers: [TOK] }, expect: 'allow', via: 'token', authenticated: true },
  { name: 'loopback: diagnostic from the LAN', server: 'loopback', route: DIAG, r: { peer: LAN, url: '/api/trust/explain', headers: [TOK] }, expect: 'HD_ERR_PEER_NOT_ALLOWED' },
  { name: 'token: diagnostic from loopback with a rebinding Host', server: 'token', route: DIAG, r: { host: 'rebind.attacker.test', url: '/api/trust/explain' }, expect: 'HD_ERR_HOST_NOT_ALLOWED' },
  { name: 'token: diagnostic preflight from loopback', server: 'token', route: DIAG, r: { method: 'OPTIONS', url: '/api/trust/explain', headers: [['Origin', EVIL], ['Access-Control-Request-Method', 'GET']] }, expect: 'HD_ERR_CORS_PREFLIGHT_REFUSED' },

  // public: answers anyway; authenticated says whether a credential proved itself
  { name: 'token: public route, nothing', server: 'token', route: PUBLIC, r: { peer: LAN }, expect: 'allow', via: 'none', authenticated: false },
  { name: 'token: public route, the token', server: 'token', route: PUBLIC, r: { peer: LAN, headers: [TOK] }, expect: 'allow', authenticated: true },
  { name: 'token: public route, a wrong token', server: 'token', route: PUBLIC, r: { peer: LAN, headers: [BAD_TOK] }, expect: 'allow', authenticated: false },
  { name: 'token: public route, cookie on a GET', server: 'token', route: PUBLIC, r: { peer: LAN, headers: [['Cookie', COOKIE]] }, expect: 'allow', authenticated: true },
  { name: 'token: public route, cookie-only POST without Origin', server: 'token', route: PUBLIC, r: { peer: LAN, method: 'POST', headers: [['Cookie', COOKIE]] }, expect: 'allow', authenticated: false },
  { name: 'token: public route, misplaced ?token=', server: 'token', route: PUBLIC, r: { peer: LAN, url: `/api/status?token=${TOKEN}` }, expect: 'allow', authenticated: false },
  { name: 'loopback: public route, nothing', server: 'loopback', route: PUBLIC, r: {}, expect: 'allow', authenticated: false },
  { name: 'loopback: public route, the token', server: 'loopback', route: PUBLIC, r: { headers: [TOK] }, expect: 'allow', authenticated: true },
  { name: 'proxy: public route from an untrusted peer', server: 'proxy', route: PUBLIC, r: { peer: LAN }, expect: 'HD_ERR_PEER_NOT_ALLOWED' },
  { name: 'sso: public route with identity', server: 'sso', route: PUBLIC, r: { peer: PROXY, headers: [['Remote-User', 'alice'], ['Remote-Groups', 'admins']] }, expect: 'allow', authenticated: true },
  { name: 'sso: public route through the proxy without identity', server: 'sso', route: PUBLIC, r: { peer: PROXY, headers: [TOK] }, expect: 'allow', authenticated: false },
  { name: 'insecure: public route, nothing', server: 'insecure', route: PUBLIC, r: { peer: LAN }, expect: 'allow', authenticated: true },

  // proxy
  { name: 'proxy: trusted proxy with the token', server: 'proxy', r: { peer: PROXY, headers: [['X-Forwarded-For', '198.51.100.7'], TOK] }, expect: 'allow', via: 'token' },
  { name: 'proxy: trusted proxy, IPv4-mapped', server: 'proxy', r: { peer: `::ffff:${PROXY}`, headers: [TOK] }, expect: 'allow' },
  { name: 'proxy: trusted proxy without a credential', server: 'proxy', r: { peer: PROXY, headers: [['X-Forwarded-For', '198.51.100.7']] }, expect: 'HD_ERR_TOKEN_MISSING' },
  { name: 'proxy: untrusted peer with the token', server: 'proxy', r: { peer: LAN, headers: [TOK] }, expect: 'HD_ERR_PEER_NOT_ALLOWED', detail: /192\.168\.1\.20/ },
  { name: 'proxy: untrusted peer forging X-Forwarded-For', server: 'proxy', r: { peer: LAN, headers: [['X-Forwarded-For', PROXY], TOK] }, expect: 'HD_ERR_PEER_NOT_ALLOWED' },
  { name: 'proxy: malformed X-Forwarded-For from the proxy', server: 'proxy', r: { peer: PROXY, headers: [['X-Forwarded-For', '198.51.100.7,,10.0.0.1'], TOK] }, expect: 'HD_ERR_FORWARDED_HEADER_INVALID' },
  { name: 'proxy: malformed X-Forwarded-For wins over a preflight', server: 'proxy', r: { peer: PROXY, method: 'OPTIONS', headers: [['X-Forwarded-For', 'junk'], ['Access-Control-Request-Method', 'POST']] }, expect: 'HD_ERR_FORWARDED_HEADER_INVALID' },
  { name: 'proxy: X-Forwarded-Host of another name from the proxy', server: 'proxy', r: { peer: PROXY, headers: [['X-Forwarded-Host', 'rebind.attacker.test'], TOK] }, expect: 'HD_ERR_HOST_NOT_ALLOWED', detail: /X-Forwarded-Host/ },
  { name: 'proxy: X-Forwarded-Host from an untrusted peer is not read', server: 'loopback', r: { headers: [['X-Forwarded-Host', 'rebind.attacker.test'], TOK] }, expect: 'allow' },
  { name: 'proxy: unsafe X-Forwarded-Prefix', server: 'proxy', r: { peer: PROXY, headers: [['X-Forwarded-Prefix', '/a/../b'], TOK] }, expect: 'HD_ERR_FORWARDED_HEADER_INVALID' },
  { name: 'proxy: same origin behind TLS via forwarded host, cookie POST', server: 'proxy', r: { peer: PROXY, method: 'POST', host: '10.0.0.1:9119', headers: [['X-Forwarded-Host', 'dash.example.test'], ['X-Forwarded-Proto', 'https'], ['Origin', 'https://dash.example.test'], ['Cookie', COOKIE]] }, expect: 'allow', via: 'cookie' },

  // sso
  { name: 'sso: identity bound to the asked profile', server: 'sso', r: { peer: PROXY, url: '/api/x?profile=alice', headers: [['Remote-User', 'alice'], ['Remote-Groups', 'family']] }, expect: 'allow', via: 'identity', authenticated: true },
  { name: 'sso: identity asks for another profile', server: 'sso', r: { peer: PROXY, url: '/api/x?profile=bob', headers: [['Remote-User', 'alice'], ['Remote-Groups', 'family']] }, expect: 'HD_ERR_PROFILE_FORBIDDEN', detail: /bob/ },
  // Issue 10 item 12: the profile of a request is decided once; a request that names none is served
  // in the user's only profile, else default when bound to it; unprofiled routes are open to them.
  { name: 'sso: bound user names no profile: served in their own', server: 'sso', r: { peer: PROXY, headers: [['Remote-User', 'alice'], ['Remote-Groups', 'family']] }, expect: 'allow', profile: 'alice' },
  { name: 'sso: bound user names no profile on a profiled route', server: 'sso', route: PROFILED, r: { peer: PROXY, headers: [['Remote-User', 'alice'], ['Remote-Groups', 'family']] }, expect: 'allow', profile: 'alice' },
  { name: 'sso: bound user names their own profile', server: 'sso', route: PROFILED, r: { peer: PROXY, url: '/api/x?profile=alice', headers: [['Remote-User', 'alice'], ['Remote-Groups', 'family']] }, expect: 'allow', profile: 'alice' },
  { name: 'sso: bound user names default explicitly', server: 'sso', r: { peer: PROXY, url: '/api/x?profile=default', headers: [['Remote-User', 'alice'], ['Remote-Groups', 'family']] }, expect: 'HD_ERR_PROFILE_FORBIDDEN' },
  { name: 'sso: user bound to two profiles and default names none: default', server: 'sso', route: PROFILED, r: { peer: PROXY, headers: [['Remote-User', 'carol'], ['Remote-Groups', 'family,team,home']] }, expect: 'allow', profile: 'default' },
  { name: 'sso: user bound to two profiles names none, unprofiled route', server: 'sso', r: { peer: PROXY, headers: [['Remote-User', 'dave'], ['Remote-Groups', 'family,team']] }, expect: 'allow', profile: null },
  { name: 'sso: user bound to two profiles names none, profiled route', server: 'sso', route: PROFILED, r: { peer: PROXY, headers: [['Remote-User', 'dave'], ['Remote-Groups', 'family,team']] }, expect: 'HD_ERR_PROFILE_FORBIDDEN', detail: /no single profile/ },
  { name: 'sso: identity in no bound group, unprofiled route', server: 'sso', r: { peer: PROXY, headers: [['Remote-User', 'eve'], ['Remote-Groups', 'strangers']] }, expect: 'allow', profile: null },
  { name: 'sso: identity in no bound group, profiled route', server: 'sso', route: PROFILED, r: { peer: PROXY, headers: [['Remote-User', 'eve'], ['Remote-Groups', 'strangers']] }, expect: 'HD_ERR_PROFILE_FORBIDDEN' },
  { name: 'sso: admin names any profile', server: 'sso', route: PROFILED, r: { peer: PROXY, url: '/api/x?profile=bob', headers: [['Remote-User', 'root'], ['Remote-Groups', 'admins']] }, expect: 'allow', profile: 'bob' },
  { name: 'sso: this host with the token names any profile (no binding without the proxy)', server: 'sso', route: PROFILED, r: { url: '/api/x?profile=bob', headers: [TOK] }, expect: 'allow', profile: 'bob' },
  { name: 'loopback: no profile named: default', server: 'loopback', route: PROFILED, r: { headers: [TOK] }, expect: 'allow', profile: 'default' },
  { name: 'sso: binding applies even with the token', server: 'sso', r: { peer: PROXY, url: '/api/x?profile=bob', headers: [['Remote-User', 'alice'], ['Remote-Groups', 'family'], TOK] }, expect: 'HD_ERR_PROFILE_FORBIDDEN' },
  { name: 'sso: admins with the token', server: 'sso', r: { peer: PROXY, url: '/api/x?profile=bob', headers: [['Remote-User', 'root'], ['Remote-Groups', 'family|admins'], TOK] }, expect: 'allow', via: 'token' },
  { name: 'sso: through the proxy without identity, with the token', server: 'sso', r: { peer: PROXY, headers: [TOK] }, expect: 'HD_ERR_IDENTITY_MISSING', detail: /remote-user/ },
  { name: 'sso: identity-only POST without Origin', server: 'sso', r: { peer: PROXY, method: 'POST', headers: [['Remote-User', 'root'], ['Remote-Groups', 'admins']] }, expect: 'HD_ERR_SAME_ORIGIN_REQUIRED' },
  { name: 'sso: identity-only POST with Sec-Fetch-Site: same-origin', server: 'sso', r: { peer: PROXY, method: 'POST', headers: [['Remote-User', 'root'], ['Remote-Groups', 'admins'], ['Sec-Fetch-Site', 'same-origin']] }, expect: 'allow', via: 'identity' },
  { name: 'sso: identity-only upgrade without Origin', server: 'sso', route: QUERY, r: { peer: PROXY, upgrade: true, headers: [['Remote-User', 'root'], ['Remote-Groups', 'admins']] }, expect: 'HD_ERR_SAME_ORIGIN_REQUIRED' },
  { name: 'sso: identity-only from a null Origin', server: 'sso', r: { peer: PROXY, headers: [['Remote-User', 'root'], ['Remote-Groups', 'admins'], ['Origin', 'null']] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
  { name: 'sso: identity header from this host', server: 'sso', r: { headers: [['Remote-User', 'root'], TOK] }, expect: 'HD_ERR_IDENTITY_HEADER_SPOOFED' },
  { name: 'sso: identity header from the LAN', server: 'sso', r: { peer: LAN, headers: [['Remote-User', 'root']] }, expect: 'HD_ERR_IDENTITY_HEADER_SPOOFED' },
  { name: 'sso: Remote_User from the proxy', server: 'sso', r: { peer: PROXY, headers: [['Remote_User', 'root'], ['Remote-Groups', 'admins'], TOK] }, expect: 'HD_ERR_IDENTITY_HEADER_SPOOFED' },
  { name: 'sso: Remote.User from the proxy', server: 'sso', r: { peer: PROXY, headers: [['Remote.User', 'root'], ['Remote-Groups', 'admins'], TOK] }, expect: 'HD_ERR_IDENTITY_HEADER_SPOOFED' },
  { name: 'sso: Remote-User twice from the proxy', server: 'sso', r: { peer: PROXY, headers: [['Remote-User', 'alice'], ['Remote-User', 'root'], ['Remote-Groups', 'admins']] }, expect: 'HD_ERR_IDENTITY_HEADER_SPOOFED' },
  { name: 'sso: this host with the token and no identity', server: 'sso', r: { headers: [TOK] }, expect: 'allow', via: 'token' },

  // token
  { name: 'token: LAN with the token', server: 'token', r: { peer: LAN, headers: [TOK] }, expect: 'allow', via: 'token' },
  { name: 'token: LAN without a credential', server: 'token', r: { peer: LAN }, expect: 'HD_ERR_TOKEN_MISSING' },
  { name: 'token: LAN with a wrong token', server: 'token', r: { peer: LAN, headers: [BAD_TOK] }, expect: 'HD_ERR_TOKEN_INVALID' },
  { name: 'token: LAN WebSocket with ?token=', server: 'token', route: QUERY, r: { peer: LAN, upgrade: true, url: `/api/events?token=${TOKEN}` }, expect: 'allow', via: 'token' },

  // insecure: no credential, Host and Origin still hold
  { name: 'insecure: LAN with nothing', server: 'insecure', r: { peer: LAN }, expect: 'allow', via: 'open', authenticated: true },
  { name: 'insecure: LAN POST with nothing', server: 'insecure', r: { peer: LAN, method: 'POST' }, expect: 'allow', via: 'open' },
  { name: 'insecure: null Origin without a token', server: 'insecure', r: { headers: [['Origin', 'null']] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
  { name: 'insecure: null Origin with only a cookie', server: 'insecure', r: { headers: [['Origin', 'null'], ['Cookie', COOKIE]] }, expect: 'HD_ERR_ORIGIN_NOT_ALLOWED' },
  { name: 'insecure: app: Origin with the header token', server: 'insecure', r: { headers: [['Origin', 'app://hermes'], TOK] }, expect: 'allow', via: 'open' },
  { name: 'insecure: null Origin with ?token= on an upgrade', server: 'insecure', route: QUERY, r: { upgrade: true, url: `/api/events?token=${TOKEN}`, headers: [['Origin', 'null']] }, expect: 'allow' },
]

t.test('builtInPolicy: the table', async (t) => {
  const denials: Array<{ name: string, verdict: Verdict }> = []
  for (const c of CASES) {
    const s = SERVERS[c.server]
    const policy = builtInPolicy(s)
    const route = c.route ?? PROTECTED
    const view = inspect(req(c.r), s)
    // As the trust hook does: the credential, then the profile of an allowed request.
    const evaluated = policy.evaluate(view, route)
    const choice = evaluated.allow ? policy.profileFor?.(view, view.profile, route) : undefined
    const verdict: Verdict = choice !== undefined && !choice.allow ? choice : evaluated
    const got = verdict.allow ? 'allow' : verdict.code
    t.equal(got, c.expect, c.name)
    if (verdict.allow) {
      if (c.profile !== undefined) t.equal(choice?.allow === true ? choice.profile : undefined, c.profile, `${c.name}: profile`)
      if (c.via !== undefined) t.equal(verdict.via, c.via, `${c.name}: via`)
      if (c.authenticated !== undefined) t.equal(verdict.authenticated, c.authenticated, `${c.name}: authenticated`)
    } else {
      denials.push({ name: c.name, verdict })
      if (c.detail !== undefined) t.match(verdict.detail, c.detail, `${c.name}: detail`)
    }
  }
  t.ok(denials.length > 50, 'the table has many denials')
  for (const { name, verdict } of denials) {
    if (verdict.allow) continue
    t.ok(verdict.hint.trim().length > 0, `${name}: Deny has a hint`)
    t.ok(verdict.detail.trim().length > 0, `${name}: Deny has a detail`)
    t.ok(verdict.code in ERRORS, `${name}: code is registered`)
  }
})

t.test('builtInPolicy: one policy per mode', async (t) => {
  for (const mode of MODES) t.equal(builtInPolicy(SERVERS[mode]).mode, SERVERS[mode].mode, mode)
  t.strictSame(PUBLIC, { access: 'public', queryToken: false })
  t.strictSame(PROTECTED, { access: 'protected', queryToken: false })
  t.ok(Object.isFrozen(PUBLIC) && Object.isFrozen(PROTECTED), 'route constants frozen')
})

t.test('a Deny never carries a credential', async (t) => {
  for (const mode of MODES) {
    const s = SERVERS[mode]
    const policy = builtInPolicy(s)
    for (const r of [
      { url: `/api/x?token=${TOKEN}` },
      { peer: LAN, headers: [TOK] },
      { host: 'rebind.attacker.test', headers: [TOK, ['Cookie', COOKIE]] },
      { method: 'POST', headers: [['Cookie', COOKIE]] },
    ] satisfies Req[]) {
      const v = policy.evaluate(inspect(req(r), s), PROTECTED)
      t.notOk(JSON.stringify(v).includes(TOKEN), `${mode}: verdict has no token`)
    }
  }
})
