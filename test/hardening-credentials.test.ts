// test/hardening-credentials.test.ts
// The credential and identity holes of the attack review (issue 10, items 1 to 6, 12 and 13), each
// tried against a real server on a real socket the way an attacker would: a bound SSO user reusing
// their chat's publisher credential, secrets in every log line, a downgraded Origin, off-site
// redirects, cookie attributes through X-Forwarded-Prefix, absolute-form targets, and the profile
// binding as the Hermes front end meets it (no profile named, a profile in a JSON body).

import t from 'tap'
import { cookieNameFor } from '../src/trust/credentials.js'
import { json, localPeer } from './helpers/peer.js'
import { PtyClient, withTimeout } from './helpers/pty-client.js'
import { rawHttp } from './helpers/raw-http.js'
import { startChatServer, TEST_TOKEN, type ChatServer } from './helpers/server.js'

const peer = localPeer()
const ALICE = { 'Remote-User': 'alice', 'Remote-Groups': 'family' }
const COOKIE = `${cookieNameFor(TEST_TOKEN)}=${TEST_TOKEN}`

/** The same-host SSO setup of item 1: a proxy on loopback that authenticates and sets Remote-User. */
async function ssoServer (t: Parameters<typeof startChatServer>[0]): Promise<ChatServer> {
  return await startChatServer(t, {
    trust: 'proxy', trustedProxies: 'loopback', authHeader: 'Remote-User', groupsHeader: 'Remote-Groups', groupProfiles: 'family=alice,admins=*',
  }, { profiles: ['alice', 'bob'] })
}

/** What a chat's program sees in its environment (the fixture prints it on `/env`). */
async function chatEnv (chat: PtyClient): Promise<Record<string, string>> {
  const from = chat.output.length
  chat.type('/env')
  const m = await chat.waitFor(/ENV (\{.*\})\r/, 10_000, from) as RegExpExecArray
  return JSON.parse(m[1] as string) as Record<string, string>
}

function origin (port: number): string {
  return `http://127.0.0.1:${port}`
}

t.test('item 1: a chat\'s publisher credential is a capability for its own channel, not a key', async (t) => {
  const { server, home } = await ssoServer(t)
  const ws = `ws://127.0.0.1:${server.port}`
  const alice = new PtyClient(`${ws}/api/pty?profile=alice&channel=alice-chat`, { headers: { ...ALICE, Origin: origin(server.port) } })
  await alice.waitFor('hermes> ')
  const env = await chatEnv(alice)
  t.equal(env.HERMES_HOME, `${home}/profiles/alice`, 'alice\'s chat runs in her profile')
  const sidecar = new URL(env.HERMES_TUI_SIDECAR_URL ?? '')
  const internal = sidecar.searchParams.get('internal') ?? ''
  t.ok(internal.length >= 32, 'the chat has a publisher credential')
  t.notOk(internal.includes(TEST_TOKEN) || TEST_TOKEN.includes(internal), 'it is not the session token')

  const refused = async (what: string, url: string, headers: Record<string, string> = {}): Promise<void> => {
    const c = new PtyClient(url, { headers })
    const closed = await withTimeout(c.closed, 10_000, what)
    t.same(closed, { code: 4401, reason: 'token_invalid' }, `${what}: 4401 token_invalid`)
    t.notOk(c.output.includes('hermes>'), `${what}: no chat started`)
  }
  // The attack: alice reads her chat's environment and opens a chat in bob's profile with it.
  await refused('alice, through the proxy, /api/pty?profile=bob with the credential', `${ws}/api/pty?profile=bob&channel=alice-chat&internal=${internal}`, { ...ALICE, Origin: origin(server.port) })
  await refused('no identity at all, /api/pty?profile=bob with the credential', `${ws}/api/pty?profile=bob&channel=alice-chat&internal=${internal}`)
  await refused('the credential on /api/ws', `${ws}/api/ws?profile=bob&channel=alice-chat&internal=${internal}`)
  await refused('the credential on /api/events', `${ws}/api/events?channel=alice-chat&internal=${internal}`)
  await refused('the credential on /api/pub for another channel', `${ws}/api/pub?channel=bobs-chat&internal=${internal}`)
  await refused('the credential relayed by the proxy (X-Forwarded-For)', `${ws}/api/pub?channel=alice-chat&internal=${internal}`, { 'X-Forwarded-For': '198.51.100.7' })
  await refused('the credential next to an identity header', `${ws}/api/pub?channel=alice-chat&internal=${internal}`, ALICE)
  const rest = await peer.http({ url: `${server.url}/api/actions/hermes-update/status?channel=alice-chat&internal=${internal}` })
  t.equal(rest.status, 401, 'the credential on a REST route: 401')
  t.equal(json(rest).error, 'token_invalid')

  // What it is for: the chat's own publisher, straight from this host, on its own channel.
  const pub = new PtyClient(sidecar.toString())
  t.ok(await pub.opened, 'the credential opens /api/pub for its channel')
  await pub.close()

  alice.type('/exit')
  await withTimeout(alice.closed, 10_000, 'chat exit')
  // Revoked when the chat ends: bounded wait for the exit to be seen by the server.
  let gone = false
  for (let i = 0; i < 40 && !gone; i++) {
    const late = new PtyClient(sidecar.toString())
    const closed = await withTimeout(late.closed, 10_000, 'late publisher')
    gone = closed.code === 4401
    if (!gone) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(gone, 'after the chat ended its credential is refused')
})

t.test('item 12: a bound user uses the dashboard without naming a profile; a named one is checked wherever it is', async (t) => {
  const { server, home } = await ssoServer(t)
  const same = { ...ALICE, Origin: origin(server.port) }
  const chat = new PtyClient(`ws://127.0.0.1:${server.port}/api/pty?channel=own`, { headers: same })
  await chat.waitFor('hermes> ')
  t.equal((await chatEnv(chat)).HERMES_HOME, `${home}/profiles/alice`, 'a chat that names no profile runs in alice\'s')
  await chat.close()
  const status = await peer.http({ url: `${server.url}/api/status`, headers: same })
  t.equal(status.status, 200, 'status without a profile')
  t.equal(json(status).hermes_home, `${home}/profiles/alice`, 'status is alice\'s profile')
  const actions = await peer.http({ url: `${server.url}/api/actions/hermes-update/status`, headers: same })
  t.equal(actions.status, 200, 'an action\'s status (not about a profile) without a profile')
  const page = await peer.http({ url: `${server.url}/`, headers: same })
  t.equal(page.status, 200, 'the page')

  const named = await peer.http({ url: `${server.url}/api/status?profile=bob`, headers: same })
  t.equal(named.status, 403, '?profile=bob is still refused')
  t.equal(json(named).error, 'profile_forbidden')

  const body = (profile: string): Promise<Awaited<ReturnType<typeof peer.http>>> => peer.http({
    url: `${server.url}/api/gateway/restart`, method: 'POST', headers: { ...same, 'Content-Type': 'application/json' }, body: JSON.stringify({ profile }),
  })
  const bob = await body('bob')
  t.equal(bob.status, 403, 'a JSON body naming bob is refused')
  t.equal(json(bob).error, 'profile_forbidden')
  const own = await body('alice')
  t.equal(own.status, 200, 'a JSON body naming alice is served')
  const twoNames = await peer.http({ url: `${server.url}/api/gateway/restart?profile=alice`, method: 'POST', headers: { ...same, 'Content-Type': 'application/json' }, body: JSON.stringify({ profile: 'default' }) })
  t.equal(twoNames.status, 400, 'query and body naming two profiles')
  t.equal(json(twoNames).error, 'profile_invalid')
})

t.test('item 2: no log line carries a credential, at any level, on any route', async (t) => {
  const { startCli, chatFixture, gatewayFixture } = await import('./helpers/server.js')
  const { createFixtureHome } = await import('./helpers/home.js')
  const home = createFixtureHome({ sessions: { active: 1, ended: 0, stale: 0 } })
  t.teardown(home.remove)
  const cli = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir, '--log-level', 'trace', '--trusted-proxies', 'loopback',
    '--chat-command', chatFixture('log-secrets'), '--gateway-command', gatewayFixture('log-secrets')], { HERMES_DASHBOARD_SESSION_TOKEN: TEST_TOKEN })
  const base = `127.0.0.1:${cli.port}`
  const basic = 'QWxhZGRpbjpvcGVuc2VzYW1l' // Aladdin:opensesame
  const secretHeaders = { 'X-Hermes-Session-Token': TEST_TOKEN, Authorization: `Basic ${basic}`, Cookie: COOKIE }

  // A chat, to get a publisher credential to leak.
  const chat = new PtyClient(`ws://${base}/api/pty?channel=leak&token=${TEST_TOKEN}`)
  await chat.waitFor('hermes> ')
  const internal = new URL((await chatEnv(chat)).HERMES_TUI_SIDECAR_URL ?? '').searchParams.get('internal') ?? ''
  t.ok(internal.length > 20, 'got the chat\'s credential')

  const q = `token=${TEST_TOKEN}&internal=${internal}&ticket=${TEST_TOKEN}`
  // Upgrades to paths with no WebSocket (the @fastify/websocket no-handler line logged the URL).
  for (const path of ['/', '/api/status', '/hermes/api/events', '/api/actions/doctor/status', '/api/nope']) {
    const c = new PtyClient(`ws://${base}${path}?${q}`)
    const closed = await withTimeout(c.closed, 10_000, path)
    // 4404 when it is allowed (no WebSocket there), 4401 where ?internal= makes it a refusal.
    t.ok(closed.code === 4404 || closed.code === 4401, `an upgrade to ${path} is closed by the dashboard itself (${closed.code} ${closed.reason})`)
  }
  // Refused upgrades and REST calls, with secrets in every place a client can put them.
  for (const path of ['/api/events', '/api/pty', '/api/ws', '/api/pub']) {
    const c = new PtyClient(`ws://${base}${path}?channel=x&token=wrong-${TEST_TOKEN}&internal=${internal}`, { headers: { Authorization: `Basic ${basic}`, Cookie: COOKIE, Origin: 'https://evil.example' } })
    await withTimeout(c.closed, 10_000, path)
  }
  for (const [method, path] of [['GET', '/'], ['GET', '/api/status'], ['GET', '/api/actions/doctor/status'], ['POST', '/api/hermes/update'], ['GET', '/api/trust/explain'], ['GET', '/assets/nope.js'], ['GET', '/api/nope'], ['DELETE', '/api/status']] as const) {
    await peer.http({ url: `http://${base}${path}?${q}`, method, headers: { ...secretHeaders, 'X-Forwarded-Prefix': '/bad;prefix', Origin: 'https://evil.example' } })
    await peer.http({ url: `http://${base}${path}?${q}`, method, headers: { Authorization: `Bearer ${TEST_TOKEN}` } })
  }
  await peer.http({ url: `http://${base}/api/hermes/update?${q}`, method: 'POST', headers: { ...secretHeaders, 'Content-Type': 'application/json' }, body: '{"broken":' })
  // What the HTTP parser refuses (its error carries the raw bytes) and what the router cannot decode.
  await rawHttp(cli.port, `GET /api/status?${q} HTTP/1.1\r\nHost: ${base}\r\nX-Junk: ${'j'.repeat(20_000)}\r\nCookie: ${COOKIE}\r\n\r\n`)
  await rawHttp(cli.port, `GET /api/status?${q} HTTP/1.1\r\nHost: ${base}\r\nBad Header: ${TEST_TOKEN}\r\n\r\n`)
  await rawHttp(cli.port, `GET /api/%zz?${q} HTTP/1.1\r\nHost: ${base}\r\nConnection: close\r\n\r\n`)
  await rawHttp(cli.port, `GET http://other.example/api/status?${q} HTTP/1.1\r\nHost: ${base}\r\nConnection: close\r\n\r\n`)
  await chat.close()
  t.equal(await cli.stop(), 0, 'clean exit')

  const log = cli.stdout() + cli.stderr()
  t.ok(log.length > 1000, `the log has lines to search (${log.length} bytes at trace level)`)
  for (const [what, secret] of [['the session token', TEST_TOKEN], ['the chat\'s credential', internal], ['the Basic credential', basic], ['the token URL-encoded', encodeURIComponent(TEST_TOKEN)]] as const) {
    const at = log.indexOf(secret)
    t.equal(at, -1, `${what} is in no log line${at === -1 ? '' : `: ${log.slice(Math.max(0, at - 200), at + 40)}`}`)
  }
})

t.test('items 3 to 6 and 13: origins, redirects, prefixes, request targets, Host literals', async (t) => {
  const { server } = await startChatServer(t, { trust: 'loopback', trustedProxies: 'loopback', allowedHosts: 'dash.example.test' })
  const ws = `ws://127.0.0.1:${server.port}`

  // Item 3: the plain-HTTP origin of an HTTPS dashboard (TLS ends at the proxy) is another origin.
  const https = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'dash.example.test', Cookie: COOKIE }
  const downgraded = new PtyClient(`${ws}/api/events?channel=origin`, { headers: { ...https, Origin: 'http://dash.example.test' } })
  t.same(await withTimeout(downgraded.closed, 10_000, 'downgraded origin'), { code: 4403, reason: 'origin_not_allowed' }, 'a cookie-only socket from http://: 4403 origin_not_allowed')
  const write = await peer.http({ url: `${server.url}/api/hermes/update`, method: 'POST', headers: { ...https, Origin: 'http://dash.example.test' } })
  t.equal(write.status, 403, 'a cookie-only POST from http://: 403')
  t.equal(json(write).error, 'origin_not_allowed')
  const good = new PtyClient(`${ws}/api/events?channel=origin`, { headers: { ...https, Origin: 'https://dash.example.test' } })
  t.ok(await good.opened, 'from https:// itself the socket opens')
  await good.close()

  // Item 4: a ?token= page load is redirected on this site only.
  for (const target of ['//evil.example/', '/\\evil.example/', '/\\/evil.example/', '///evil.example/x/', '/./..//evil.example/']) {
    const a = await rawHttp(server.port, `GET ${target}?token=${TEST_TOKEN}&keep=1 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`)
    const location = a.headers.location ?? ''
    t.equal(a.status, 303, `${target}: 303`)
    t.match(location, /^\/(?![/\\])/, `${target}: Location ${location} is a path on this site`)
    t.equal(new URL(location, 'http://dashboard.invalid').host, 'dashboard.invalid', `${target}: resolves to this host`)
    t.match(location, /keep=1/, 'other parameters are kept')
    t.notMatch(location, /token=/, 'the token is not')
  }

  // Item 5: X-Forwarded-Prefix with cookie syntax never reaches Set-Cookie.
  for (const prefix of ['/hermes;Domain=evil.example', '/h,x=1', '/h=1', '/h; HttpOnly']) {
    const r = await peer.http({ url: `${server.url}/`, headers: { 'X-Forwarded-Prefix': prefix } })
    t.equal(r.status, 400, `prefix ${prefix}: 400`)
    t.equal(r.headers['set-cookie'], undefined, `prefix ${prefix}: no cookie`)
  }
  const plain = await peer.http({ url: `${server.url}/`, headers: { 'X-Forwarded-Prefix': '/hermes' } })
  t.match(String(plain.headers['set-cookie']), /; Path=\/hermes;/, 'a plain prefix scopes the cookie')

  // Item 6: an absolute-form target is not judged by Host alone.
  for (const target of ['http://other.example/api/status', 'http://127.0.0.1/api/status', 'https://dash.example.test/', '*']) {
    const a = await rawHttp(server.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Hermes-Session-Token: ${TEST_TOKEN}\r\nConnection: close\r\n\r\n`)
    t.equal(a.status, 400, `${target}: 400`)
    t.match(a.text, /request_target_invalid/, `${target}: request_target_invalid`)
  }
  const upgrade = await rawHttp(server.port, `GET http://other.example/api/events?channel=a&token=${TEST_TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`, 3000)
  t.match(upgrade.text, /request_target_invalid/, 'an absolute-form upgrade is closed with request_target_invalid')

  // Item 13: an IPv4-mapped IPv6 literal is an IP literal.
  const mapped = await rawHttp(server.port, `GET /api/status HTTP/1.1\r\nHost: [::ffff:127.0.0.1]:${server.port}\r\nConnection: close\r\n\r\n`)
  t.equal(mapped.status, 200, 'Host: [::ffff:127.0.0.1] is served')
})

t.test('item 13: a chat killed by a signal says which signal', async (t) => {
  const { server } = await startChatServer(t)
  const chat = new PtyClient(`ws://127.0.0.1:${server.port}/api/pty?attach=sig&channel=sig&token=${TEST_TOKEN}`)
  await chat.waitFor('hermes> ')
  const session = server.app.hermes.chat.registry.get('sig')
  t.ok(session !== undefined, 'the kept-alive chat is registered')
  process.kill(session?.pid as number, 'SIGKILL')
  t.same(await withTimeout(chat.closed, 10_000, 'killed'), { code: 4410, reason: 'process_exited signal=SIGKILL' }, 'closed 4410 naming SIGKILL')
})
