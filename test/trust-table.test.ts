// test/trust-table.test.ts
// The table of trust cases, each run against real listening servers from real peers: this host, and
// hosts of a test network namespace (a proxy and a LAN client, over IPv4 and IPv6). Every case is
// offered twice, the way a browser would: as a REST call to a protected route (token in the
// X-Hermes-Session-Token header) and as WebSockets to /api/events, /api/pty and /api/ws (token as
// ?token=), and again on a route forwarded to Hermes' own server (the fixture backend): REST
// /api/echo and the WebSocket /api/console. The test asserts the expected outcome on each and that
// they all agree: same reason code, and allow together (an allowed socket must show it works:
// /api/events receives what is published on its channel, /api/pty the chat's first output, /api/ws
// the gateway's gateway.ready, /api/console the backend's hello).

import { randomUUID } from 'node:crypto'
import t from 'tap'
import { ERRORS } from '../src/errors.js'
import { cookieNameFor } from '../src/trust/credentials.js'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer, type Headers, type Peer, type WsEvent } from './helpers/peer.js'
import type { TT } from './helpers/proxy-checks.js'
import { requireTestNet } from './helpers/requirements.js'
import { eventually, processesWith } from './helpers/pty-client.js'
import { chatFixture, gatewayFixture, startServer, TEST_TOKEN, type Running } from './helpers/server.js'

const REASONS = new Map<string, { status: number, close: number }>(Object.values(ERRORS).map((e) => [e.reason, e]))
const COOKIE = `${cookieNameFor(TEST_TOKEN)}=${TEST_TOKEN}`

type ServerKey = 'loopback' | 'loopbackProxy' | 'proxy' | 'forwarded' | 'sso' | 'token' | 'insecure'
type PeerKey = 'local' | 'local6' | 'proxy' | 'lan' | 'proxy6' | 'lan6'

interface Case {
  readonly name: string
  readonly server: ServerKey
  readonly peer: PeerKey
  /** How the credential is offered (default: the session token). */
  readonly credential?: 'token' | 'bad-token' | 'cookie' | 'none'
  /** Sent on both transports. */
  readonly headers?: Headers
  /** Origin evidence a browser adds: same origin, another site, or a non-web shell. */
  readonly browser?: 'same' | 'foreign' | 'null'
  /** The page's origin when it differs from http://<Host> (a TLS proxy with its own name). */
  readonly origin?: string
  readonly host?: string
  readonly profile?: string
  readonly expect: string
}

const ID = { 'Remote-User': 'alice' }

const CASES: readonly Case[] = [
  // ── loopback mode: admission on the raw peer, whatever X-Forwarded-For says ──
  { name: 'loopback: this host with the token', server: 'loopback', peer: 'local', expect: 'allow' },
  { name: 'loopback: this host over IPv6 (::1)', server: 'loopback', peer: 'local6', expect: 'allow' },
  { name: 'loopback: no credential', server: 'loopback', peer: 'local', credential: 'none', expect: 'token_missing' },
  { name: 'loopback: wrong token', server: 'loopback', peer: 'local', credential: 'bad-token', expect: 'token_invalid' },
  { name: 'loopback: same-host proxy adds X-Forwarded-For (reported scenario 1)', server: 'loopback', peer: 'local', headers: { 'X-Forwarded-For': '198.51.100.7' }, expect: 'allow' },
  { name: 'loopback: LAN client (IPv4-mapped on a dual-stack socket)', server: 'loopback', peer: 'lan', expect: 'peer_not_allowed' },
  { name: 'loopback: LAN client forging X-Forwarded-For: 127.0.0.1', server: 'loopback', peer: 'lan', headers: { 'X-Forwarded-For': '127.0.0.1' }, expect: 'peer_not_allowed' },
  { name: 'loopback: LAN client over IPv6', server: 'loopback', peer: 'lan6', expect: 'peer_not_allowed' },
  { name: 'loopback: DNS rebinding (Host of another name)', server: 'loopback', peer: 'local', host: 'rebind.attacker.test', expect: 'host_not_allowed' },
  { name: 'loopback: allowed host name', server: 'loopback', peer: 'local', host: 'dash.example.test', expect: 'allow' },
  { name: 'loopback: cookie from the dashboard page (same origin)', server: 'loopback', peer: 'local', credential: 'cookie', browser: 'same', expect: 'allow' },
  { name: 'loopback: cookie riding a foreign Origin', server: 'loopback', peer: 'local', credential: 'cookie', browser: 'foreign', expect: 'origin_not_allowed' },
  { name: 'loopback: cookie from a null Origin (desktop shell without token)', server: 'loopback', peer: 'local', credential: 'cookie', browser: 'null', expect: 'origin_not_allowed' },
  { name: 'loopback: token from a null Origin (desktop shell)', server: 'loopback', peer: 'local', browser: 'null', expect: 'allow' },
  { name: 'loopback: Authorization: Basic from a proxy next to the session token', server: 'loopback', peer: 'local', headers: { Authorization: 'Basic dXNlcjpwYXNz' }, expect: 'allow' },
  { name: 'loopback: Authorization: Basic alone is not a credential', server: 'loopback', peer: 'local', credential: 'none', headers: { Authorization: 'Basic dXNlcjpwYXNz' }, expect: 'token_missing' },

  // ── loopback mode with the same-host proxy trusted (--trusted-proxies loopback) ──
  { name: 'same-host proxy: X-Forwarded-For and Host: 127.0.0.1', server: 'loopbackProxy', peer: 'local', headers: { 'X-Forwarded-For': '198.51.100.7' }, expect: 'allow' },
  { name: 'same-host proxy: several X-Forwarded-For lines', server: 'loopbackProxy', peer: 'local', headers: { 'X-Forwarded-For': ['198.51.100.7', '203.0.113.5, 127.0.0.1'] }, expect: 'allow' },
  { name: 'same-host proxy: malformed X-Forwarded-For entry', server: 'loopbackProxy', peer: 'local', headers: { 'X-Forwarded-For': '198.51.100.7, not-an-ip' }, expect: 'forwarded_header_invalid' },
  { name: 'same-host proxy: X-Forwarded-Host of another name', server: 'loopbackProxy', peer: 'local', headers: { 'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Host': 'rebind.attacker.test' }, expect: 'host_not_allowed' },
  { name: 'same-host proxy: browser behind TLS, cookie, public name', server: 'loopbackProxy', peer: 'local', credential: 'cookie', browser: 'same', origin: 'https://dash.example.test', headers: { 'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Host': 'dash.example.test', 'X-Forwarded-Proto': 'https' }, expect: 'allow' },
  { name: 'same-host proxy: unsafe X-Forwarded-Prefix', server: 'loopbackProxy', peer: 'local', headers: { 'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Prefix': '/a/../b' }, expect: 'forwarded_header_invalid' },

  // ── proxy mode: a proxy on another host ──
  { name: 'proxy: trusted proxy (listed as ::ffff:a.b.c.d, connects IPv4-mapped)', server: 'proxy', peer: 'proxy', headers: { 'X-Forwarded-For': '198.51.100.7' }, expect: 'allow' },
  { name: 'proxy: trusted proxy over IPv6', server: 'proxy', peer: 'proxy6', headers: { 'X-Forwarded-For': '2001:db8::7' }, expect: 'allow' },
  { name: 'proxy: several X-Forwarded-For lines through the proxy', server: 'proxy', peer: 'proxy', headers: { 'X-Forwarded-For': ['198.51.100.1', '198.51.100.2, 203.0.113.9'] }, expect: 'allow' },
  { name: 'proxy: untrusted LAN client', server: 'proxy', peer: 'lan', expect: 'peer_not_allowed' },
  { name: 'proxy: untrusted LAN client forging X-Forwarded-For of the proxy', server: 'proxy', peer: 'lan', headers: { 'X-Forwarded-For': '127.0.0.1' }, expect: 'peer_not_allowed' },
  { name: 'proxy: untrusted IPv6 LAN client', server: 'proxy', peer: 'lan6', expect: 'peer_not_allowed' },
  { name: 'proxy: this host is admitted too', server: 'proxy', peer: 'local', expect: 'allow' },
  { name: 'proxy: malformed X-Forwarded-For from the proxy', server: 'proxy', peer: 'proxy', headers: { 'X-Forwarded-For': '198.51.100.7,,10.0.0.1' }, expect: 'forwarded_header_invalid' },
  { name: 'proxy: DNS rebinding through the proxy', server: 'proxy', peer: 'proxy', host: 'rebind.attacker.test', headers: { 'X-Forwarded-For': '198.51.100.7' }, expect: 'host_not_allowed' },
  { name: 'proxy: Forwarded header is ignored in X-Forwarded-For mode', server: 'proxy', peer: 'proxy', headers: { Forwarded: 'for=junk!', 'X-Forwarded-For': '198.51.100.7' }, expect: 'allow' },
  { name: 'forwarded mode: RFC 7239 chain with quoted IPv6', server: 'forwarded', peer: 'proxy', headers: { Forwarded: 'for=198.51.100.7, for="[2001:db8::1]:4711";proto=https;host=dash.example.test' }, expect: 'allow' },
  { name: 'forwarded mode: malformed Forwarded entry', server: 'forwarded', peer: 'proxy', headers: { Forwarded: 'for=junk!' }, expect: 'forwarded_header_invalid' },
  { name: 'forwarded mode: X-Forwarded-For junk is ignored', server: 'forwarded', peer: 'proxy', headers: { 'X-Forwarded-For': 'not-an-ip' }, expect: 'allow' },

  // ── proxy mode with SSO identity (--auth-header, --groups-header, --group-profiles admins=*,family=alice) ──
  { name: 'sso: identity from the trusted proxy, bound profile', server: 'sso', peer: 'proxy', headers: { ...ID, 'Remote-Groups': 'family' }, profile: 'alice', expect: 'allow' },
  { name: 'sso: identity bound to another profile', server: 'sso', peer: 'proxy', headers: { ...ID, 'Remote-Groups': 'family' }, profile: 'bob', expect: 'profile_forbidden' },
  // Issue 10 item 12: naming no profile, a user bound to one is served in it (the Hermes front end names none).
  { name: 'sso: bound user names no profile', server: 'sso', peer: 'proxy', headers: { ...ID, 'Remote-Groups': 'family' }, expect: 'allow' },
  { name: 'sso: bound user names the default profile', server: 'sso', peer: 'proxy', headers: { ...ID, 'Remote-Groups': 'family' }, profile: 'default', expect: 'profile_forbidden' },
  { name: 'sso: admin group may use any profile', server: 'sso', peer: 'proxy', headers: { ...ID, 'Remote-Groups': 'admins' }, profile: 'bob', expect: 'allow' },
  { name: 'sso: authentik pipe-separated groups', server: 'sso', peer: 'proxy', headers: { ...ID, 'Remote-Groups': 'family|admins' }, profile: 'bob', expect: 'allow' },
  { name: 'sso: through the proxy without identity, even with the token', server: 'sso', peer: 'proxy', expect: 'identity_missing' },
  { name: 'sso: identity alone, from the dashboard page', server: 'sso', peer: 'proxy', credential: 'none', browser: 'same', headers: { ...ID, 'Remote-Groups': 'admins' }, expect: 'allow' },
  { name: 'sso: identity alone, from a foreign page', server: 'sso', peer: 'proxy', credential: 'none', browser: 'foreign', headers: { ...ID, 'Remote-Groups': 'admins' }, expect: 'origin_not_allowed' },
  { name: 'sso: identity header from an untrusted peer (this host)', server: 'sso', peer: 'local', headers: { ...ID, 'Remote-Groups': 'admins' }, expect: 'identity_header_spoofed' },
  { name: 'sso: identity header from an untrusted LAN client', server: 'sso', peer: 'lan', headers: { ...ID }, expect: 'identity_header_spoofed' },
  { name: 'sso: underscore spelling Remote_User from the proxy', server: 'sso', peer: 'proxy', headers: { Remote_User: 'alice', 'Remote-Groups': 'admins' }, expect: 'identity_header_spoofed' },
  { name: 'sso: dot spelling Remote.User from the proxy', server: 'sso', peer: 'proxy', headers: { 'Remote.User': 'alice', 'Remote-Groups': 'admins' }, expect: 'identity_header_spoofed' },
  { name: 'sso: identity header twice', server: 'sso', peer: 'proxy', headers: { 'Remote-User': ['alice', 'mallory'], 'Remote-Groups': 'admins' }, expect: 'identity_header_spoofed' },
  { name: 'sso: this host with the token and no identity', server: 'sso', peer: 'local', expect: 'allow' },

  // ── token mode: anyone connects, the token decides ──
  { name: 'token: LAN client with the token', server: 'token', peer: 'lan', expect: 'allow' },
  { name: 'token: LAN client without a credential', server: 'token', peer: 'lan', credential: 'none', expect: 'token_missing' },
  { name: 'token: LAN client with a wrong token', server: 'token', peer: 'lan', credential: 'bad-token', expect: 'token_invalid' },
  { name: 'token: LAN client with the cookie, same origin', server: 'token', peer: 'lan', credential: 'cookie', browser: 'same', expect: 'allow' },
  { name: 'token: DNS rebinding', server: 'token', peer: 'lan', host: 'rebind.attacker.test', expect: 'host_not_allowed' },

  // ── insecure mode: no credential, but Host and Origin still hold ──
  { name: 'insecure: LAN client without a credential (reported scenarios 2 and 3)', server: 'insecure', peer: 'lan', credential: 'none', expect: 'allow' },
  { name: 'insecure: DNS rebinding', server: 'insecure', peer: 'local', credential: 'none', host: 'rebind.attacker.test', expect: 'host_not_allowed' },
  { name: 'insecure: foreign Origin', server: 'insecure', peer: 'lan', credential: 'none', browser: 'foreign', expect: 'origin_not_allowed' },
  { name: 'insecure: null Origin without a token', server: 'insecure', peer: 'local', credential: 'none', browser: 'null', expect: 'origin_not_allowed' },
]

t.test('trust table: REST and WebSocket get the same verdict', async (t) => {
  const net = await requireTestNet(t)
  if (net === null) return
  const home = createFixtureHome({ profiles: ['alice', 'bob'] })
  t.teardown(home.remove)

  const marker = randomUUID()
  const base = { hermesHome: home.dir, host: '::', allowedHosts: 'dash.example.test', chatCommand: chatFixture(marker), gatewayCommand: gatewayFixture(marker), hermesBackend: 'auto' }
  const start = (options: Parameters<typeof startServer>[1]): Promise<Running> => startServer(t, options, {}, { backendTiming: { startPollMs: 50, readyWaitMs: 15_000 } })
  const servers: Record<ServerKey, Running> = {
    loopback: await start({ ...base, trust: 'loopback' }),
    loopbackProxy: await start({ ...base, trust: 'loopback', trustedProxies: 'loopback' }),
    proxy: await start({ ...base, trustedProxies: `::ffff:${net.addrs[0]},${net.addrs6[0]}` }),
    forwarded: await start({ ...base, trustedProxies: net.addrs[0], forwarded: 'forwarded' }),
    sso: await start({ ...base, trustedProxies: net.addrs[0], authHeader: 'Remote-User', groupsHeader: 'Remote-Groups', groupProfiles: 'admins=*,family=alice' }),
    token: await start({ ...base, trust: 'token' }),
    insecure: await start({ ...base, insecure: true }),
  }
  const peers: Record<PeerKey, { peer: Peer, host: (port: number) => string }> = {
    local: { peer: localPeer('127.0.0.1'), host: (p) => `127.0.0.1:${p}` },
    local6: { peer: localPeer('::1'), host: (p) => `[::1]:${p}` },
    proxy: { peer: net.agent.peer(net.addrs[0] as string), host: (p) => `${net.hostAddr}:${p}` },
    lan: { peer: net.agent.peer(net.addrs[1] as string), host: (p) => `${net.hostAddr}:${p}` },
    proxy6: { peer: net.agent.peer(net.addrs6[0] as string), host: (p) => `[${net.hostAddr6}]:${p}` },
    lan6: { peer: net.agent.peer(net.addrs6[1] as string), host: (p) => `[${net.hostAddr6}]:${p}` },
  }
  const publisher = localPeer('127.0.0.1')

  let n = 0
  for (const c of CASES) {
    await t.test(c.name, async (t) => {
      const server = servers[c.server]
      const { peer, host: hostOf } = peers[c.peer]
      const address = hostOf(server.port)
      const host = c.host === undefined ? address : `${c.host}:${server.port}`
      const origin = c.origin ?? `http://${host}`
      const credential = c.credential ?? 'token'
      const channel = `table-${n++}`
      const profile = c.profile === undefined ? '' : `&profile=${c.profile}`

      const common: Record<string, string | readonly string[]> = { ...c.headers, Host: host }
      if (credential === 'cookie') common.Cookie = COOKIE
      const rest: Record<string, string | readonly string[]> = { ...common }
      const ws: Record<string, string | readonly string[]> = { ...common }
      if (credential === 'token') rest['X-Hermes-Session-Token'] = TEST_TOKEN
      if (credential === 'bad-token') rest['X-Hermes-Session-Token'] = 'wrong-token-0123456789abcdef'
      // What a browser adds: same-origin GETs carry Sec-Fetch-Site; WebSockets always carry Origin.
      if (c.browser === 'same') { rest['Sec-Fetch-Site'] = 'same-origin'; ws.Origin = origin }
      if (c.browser === 'foreign') { rest.Origin = 'https://evil.example'; rest['Sec-Fetch-Site'] = 'cross-site'; ws.Origin = 'https://evil.example' }
      if (c.browser === 'null') { rest.Origin = 'null'; ws.Origin = 'null' }
      const tokenParam = credential === 'token' ? `&token=${TEST_TOKEN}` : credential === 'bad-token' ? '&token=wrong-token-0123456789abcdef' : ''

      // REST: a protected route.
      const r = await peer.http({ url: `http://${address}/api/actions/hermes-update/status?lines=1${profile}`, headers: rest })
      const restOutcome = r.status === 200 ? 'allow' : String(json(r).error)
      if (restOutcome !== 'allow') {
        t.equal(r.status, REASONS.get(restOutcome)?.status, `REST status matches ${restOutcome}`)
        t.type(json(r).hint, 'string', 'a denial carries a hint')
      }

      // WebSocket: /api/events, the browser way.
      const sock = peer.ws({ url: `ws://${address}/api/events?channel=${channel}${tokenParam}${profile}`, headers: ws })
      // A refused socket is accepted and then closed with the code, so "open" alone proves nothing:
      // an allowed one must receive what is published on its channel, a refused one gets the close.
      const first = await sock.opened()
      let wsOutcome: string | undefined
      let ended: WsEvent = first
      if (first.event === 'open') {
        const pub = publisher.ws({ url: `ws://127.0.0.1:${server.port}/api/pub?channel=${channel}&token=${TEST_TOKEN}` })
        t.equal((await pub.opened()).event, 'open', 'publisher connected')
        const payload = JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'session.info', payload: { case: c.name } } })
        pub.send(payload)
        ended = await sock.message()
        pub.close()
        sock.close()
        if (ended.event === 'message') wsOutcome = ended.data === payload ? 'allow' : `wrong message ${String(ended.data)}`
      }
      wsOutcome = closeOutcome(t, ended) ?? wsOutcome ?? `unexpected ${JSON.stringify(ended)}`

      // The chat and the gateway, the way the front end opens them: allowed means the program's
      // first output arrived (the chat's prompt is binary; the gateway's first line is gateway.ready).
      const pty = peer.ws({ url: `ws://${address}/api/pty?channel=${channel}${tokenParam}${profile}`, headers: ws })
      const ptyFirst = await pty.message()
      pty.close()
      const ptyOutcome = ptyFirst.event === 'message' ? (ptyFirst.data === null ? 'allow' : `text ${ptyFirst.data}`) : closeOutcome(t, ptyFirst) ?? `unexpected ${JSON.stringify(ptyFirst)}`
      const gw = peer.ws({ url: `ws://${address}/api/ws?x=1${tokenParam}${profile}`, headers: ws })
      const gwFirst = await gw.message()
      gw.close()
      const gwOutcome = gwFirst.event === 'message' ? (String(gwFirst.data).includes('"gateway.ready"') ? 'allow' : `message ${String(gwFirst.data)}`) : closeOutcome(t, gwFirst) ?? `unexpected ${JSON.stringify(gwFirst)}`

      // The same request on routes Hermes' own server answers: our verdict, before any forwarding.
      const fr = await peer.http({ url: `http://${address}/api/echo?lines=1${profile}`, headers: rest })
      const fwdRestOutcome = fr.status === 200 && fr.headers['x-hermes-dashboard-source'] === 'backend' ? 'allow' : String(json(fr).error)
      const consoleWs = peer.ws({ url: `ws://${address}/api/console?x=1${tokenParam}${profile}`, headers: ws })
      const conFirst = await consoleWs.message()
      consoleWs.close()
      const fwdWsOutcome = conFirst.event === 'message' ? (String(conFirst.data).includes('"hello":"/api/console"') ? 'allow' : `message ${String(conFirst.data)}`) : closeOutcome(t, conFirst) ?? `unexpected ${JSON.stringify(conFirst)}`

      t.equal(restOutcome, c.expect, 'REST outcome')
      t.equal(wsOutcome, c.expect, '/api/events outcome')
      t.equal(ptyOutcome, c.expect, '/api/pty outcome')
      t.equal(gwOutcome, c.expect, '/api/ws outcome')
      t.equal(fwdRestOutcome, c.expect, 'forwarded REST outcome')
      t.equal(fwdWsOutcome, c.expect, 'forwarded WebSocket outcome')
      t.ok([wsOutcome, ptyOutcome, gwOutcome, fwdRestOutcome, fwdWsOutcome].every((o) => o === restOutcome), 'REST and the WebSockets, native and forwarded, agree')
    })
  }
  // Every chat and gateway started by an allowed case ends with its socket.
  t.ok(await eventually(() => processesWith(marker).length === 0, 10_000), 'no chat or gateway process left')
})

/** The reason of a refusal close (checking its code matches the reason), or null for other events. */
function closeOutcome (t: TT, e: WsEvent): string | null {
  if (e.event === 'close') {
    t.equal(e.code, REASONS.get(e.reason)?.close, `close code matches ${e.reason}`)
    return e.reason
  }
  if (e.event === 'unexpected-response') return `http ${e.status}`
  return null
}
