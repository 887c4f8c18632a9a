// test/backend.test.ts
// Hermes' own server as a private backend (issue 11), with the fixture backend
// (test/fixtures/backend.mjs, run by the fixture `hermes serve` / `hermes dashboard`) on real
// sockets: what reaches it (never a client credential, cookie, identity, forwarded header or
// Origin), what comes back (its statuses, streamed bodies, no cookie of its own), WebSockets relayed
// both ways, the profile binding on forwarded routes, open-proxy attempts, a backend that crashes,
// one that never gets ready, one without `serve` (v0.13), one already running (--hermes-backend URL).

import t from 'tap'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { WebSocket } from 'ws'
import { SHUTDOWN_DRAIN_MS } from '../src/app.js'
import { cookieNameFor } from '../src/trust/credentials.js'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer, type HttpResult } from './helpers/peer.js'
import { FIXTURES } from './helpers/paths.js'
import { PtyClient, withTimeout } from './helpers/pty-client.js'
import { rawHttp } from './helpers/raw-http.js'
import { startServer, TEST_TOKEN, type Running } from './helpers/server.js'

const peer = localPeer()
const AUTH = { 'X-Hermes-Session-Token': TEST_TOKEN }
const FAST = { startPollMs: 50, healthMs: 500, healthMisses: 2, healthTimeoutMs: 1000, backoffMs: 100, backoffMaxMs: 500, readyWaitMs: 8000 }

interface Recorded { method: string, path: string, query: string, headers: Record<string, string>, bodyBytes: number, bodySha256: string }

async function withBackend (t: Parameters<typeof startServer>[0], options: Record<string, unknown> = {}, env: Record<string, string> = {}, timing: Record<string, number> = {}): Promise<{ server: Running, home: string }> {
  const home = createFixtureHome({ profiles: ['alice', 'bob'] })
  t.teardown(home.remove)
  const server = await startServer(t, { hermesHome: home.dir, hermesBackend: 'auto', ...options }, env, { backendTiming: { ...FAST, ...timing } })
  return { server, home: home.dir }
}

async function records (server: Running, headers: Record<string, string> = AUTH): Promise<Recorded[]> {
  const r = await peer.http({ url: `${server.url}/api/_records`, headers })
  return json<Recorded[]>(r as HttpResult)
}

async function status (server: Running): Promise<{ backend: { state: string, kind: string | null, instances: Array<{ restarts: number, profile: string, state: string, token_changes: number }> } }> {
  const r = await peer.http({ url: `${server.url}/api/status`, headers: AUTH })
  return json<{ dashboard: { backend: never } }>(r).dashboard as never
}

async function untilState (server: Running, want: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    if ((await status(server)).backend.state === want) return
    if (Date.now() > end) throw new Error(`backend not ${want} within ${ms} ms: ${JSON.stringify((await status(server)).backend)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

t.test('forwarding: what reaches Hermes\' server, and what comes back', async (t) => {
  const { server } = await withBackend(t, { trust: 'loopback', trustedProxies: 'loopback', allowedHosts: 'dash.example.test' })
  // The first answer does not wait for the backend.
  const first = await peer.http({ url: `${server.url}/api/status` })
  t.equal(first.status, 200, 'status answers at once')
  t.equal(first.headers['x-hermes-dashboard-source'], 'native', 'native routes say so')
  await untilState(server, 'ready')

  const cookie = `${cookieNameFor(TEST_TOKEN)}=${TEST_TOKEN}; other=1`
  const r = await peer.http({
    url: `${server.url}/api/echo?x=1&token=${TEST_TOKEN}&ticket=abc`,
    headers: {
      ...AUTH, Cookie: cookie, Authorization: 'Basic dXNlcjpwYXNz', Origin: `http://127.0.0.1:${server.port}`, Referer: `http://127.0.0.1:${server.port}/x`,
      'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Host': 'dash.example.test', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Prefix': '/hermes', Forwarded: 'for=1.2.3.4',
      'X-Real-IP': '1.2.3.4', 'Remote-User': 'mallory', Remote_Groups: 'admins', 'X-Authentik-Username': 'mallory', 'Sec-Fetch-Site': 'same-origin', 'X-Custom': 'kept',
    },
  })
  t.equal(r.status, 200)
  t.equal(r.headers['x-hermes-dashboard-source'], 'backend', 'a forwarded answer says backend')
  t.equal(r.headers['set-cookie'], undefined, 'the backend\'s own cookie is not passed on')
  t.equal(r.headers['x-backend-header'], 'yes', 'its other headers are')
  const got = json<Recorded>(r)
  const names = Object.keys(got.headers)
  for (const banned of ['cookie', 'authorization', 'origin', 'referer', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-prefix', 'forwarded', 'x-real-ip', 'remote-user', 'remote_groups', 'x-authentik-username', 'sec-fetch-site']) {
    t.notOk(names.includes(banned), `${banned} does not reach the backend`)
  }
  t.equal(got.headers['x-custom'], 'kept', 'other request headers do')
  t.match(got.headers.host, /^127\.0\.0\.1:\d+$/, 'Host is the backend\'s own address')
  t.ok(got.headers['x-hermes-session-token'] !== undefined && got.headers['x-hermes-session-token'] !== TEST_TOKEN, 'the backend gets its own token, not ours')
  t.equal(got.query, '?x=1', 'no credential in the query')
  t.notOk(JSON.stringify(await records(server)).includes(TEST_TOKEN), 'our token never reached the backend, on any request')

  // Its statuses pass through, unchanged.
  for (const code of [400, 401, 404, 409, 418, 422, 500, 503]) {
    const s = await peer.http({ url: `${server.url}/api/status-code?code=${code}`, headers: AUTH })
    t.equal(s.status, code, `the backend's ${code} passes through`)
  }
  // A forwarded path still needs our credential.
  const anon = await peer.http({ url: `${server.url}/api/echo` })
  t.equal(anon.status, 401, 'no credential: refused by the dashboard')
  t.equal(json(anon).error, 'token_missing')
  t.notOk((await records(server)).some((x) => x.path === '/api/echo' && x.headers['x-hermes-session-token'] === undefined), 'and it never reached the backend')

  // Streamed both ways.
  const started = Date.now()
  const res = await fetch(`${server.url}/api/stream?chunks=5&ms=200`, { headers: AUTH })
  const reader = res.body!.getReader()
  await reader.read()
  const firstChunk = Date.now() - started
  let rest = 0
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value.length
  const whole = Date.now() - started
  t.ok(rest > 0 && whole >= 800, `the stream went on after the first chunk (${whole} ms in all)`)
  t.ok(firstChunk < 800, `the first chunk arrives before the stream ends (${firstChunk} ms of ~1000)`)
  const upload = randomBytes(40 * 1024 * 1024)
  const up = await peer.http({ url: `${server.url}/api/upload`, method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/octet-stream' }, body: upload as unknown as string })
  t.same(json(up), { bytes: upload.length, sha256: createHash('sha256').update(upload).digest('hex') }, 'a 40 MiB upload arrives whole')
  const tooBig = await rawHttp(server.port, `POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Hermes-Session-Token: ${TEST_TOKEN}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${200 * 1024 * 1024}\r\nConnection: close\r\n\r\n`)
  t.equal(tooBig.status, 413, 'a body over the limit: 413 before it is sent')
  const plugin = await peer.http({ url: `${server.url}/dashboard-plugins/hello/index.js`, headers: AUTH })
  t.equal(plugin.status, 200, '/dashboard-plugins/… is forwarded')
  t.match(plugin.body, /plugin file/)

  // No open proxy: nothing but the backend is ever reached.
  for (const target of ['http://127.0.0.1:1/api/echo', '/api/../../etc/passwd', '/api/%2e%2e/%2e%2e/x', '/api/echo/..%2F..%2Fx', '//127.0.0.1:1/api/echo']) {
    const a = await rawHttp(server.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Hermes-Session-Token: ${TEST_TOKEN}\r\nConnection: close\r\n\r\n`)
    t.ok(a.status === 400 || a.status === 404 || a.headers['x-hermes-dashboard-source'] === 'native', `${target}: ${a.status} from ${a.headers['x-hermes-dashboard-source'] ?? 'nobody'}, never the backend`)
    t.notMatch(a.text, /"path":"\/(etc|x)|root:x/, `${target}: not served by the backend from outside /api/`)
  }
  for (const path of ['/api/../../etc/passwd', '/api/%2e%2e/%2e%2e/x']) t.notOk((await records(server)).some((x) => x.path.includes('..') || x.path.startsWith('/etc') || x.path === '/x'), `${path} never reached the backend`)
})

t.test('WebSockets are relayed, with our trust and none of the client\'s credentials', async (t) => {
  const { server } = await withBackend(t)
  await untilState(server, 'ready')
  const c = new PtyClient(`ws://127.0.0.1:${server.port}/api/console?token=${TEST_TOKEN}&x=1`, { headers: { Cookie: `${cookieNameFor(TEST_TOKEN)}=${TEST_TOKEN}`, Origin: `http://127.0.0.1:${server.port}` } })
  t.ok(await c.opened, 'opened')
  await withTimeout(new Promise<void>((resolve) => { const check = (): void => { if (c.texts.length > 0) resolve(); else setTimeout(check, 20) }; check() }), 5000, 'hello')
  const hello = JSON.parse(c.texts[0] as string) as { hello: string, query: string, headers: Record<string, string> }
  t.equal(hello.hello, '/api/console')
  t.notMatch(hello.query, new RegExp(TEST_TOKEN), 'our token is not in the backend\'s URL')
  t.match(hello.query, /x=1/, 'the other parameters are')
  t.equal(hello.headers.cookie, undefined, 'no cookie')
  t.equal(hello.headers.origin, undefined, 'no Origin')
  c.send('ping text')
  c.send(Buffer.from([1, 2, 3]), true)
  await withTimeout(new Promise<void>((resolve) => { const check = (): void => { if (c.texts.includes('ping text') && c.binaryFrames > 0) resolve(); else setTimeout(check, 20) }; check() }), 5000, 'echo')
  t.pass('text and binary echoed as they were')
  c.send('close:4321')
  t.same(await withTimeout(c.closed, 5000, 'close'), { code: 4321, reason: 'asked to' }, 'the backend\'s close code reaches the browser')
  const refused = new PtyClient(`ws://127.0.0.1:${server.port}/api/console`)
  t.same(await withTimeout(refused.closed, 5000, 'refused'), { code: 4401, reason: 'token_missing' }, 'a forwarded socket is refused by our trust, with our close code')
  const plug = new PtyClient(`ws://127.0.0.1:${server.port}/api/plugins/kanban/ws?token=${TEST_TOKEN}`)
  t.ok(await plug.opened, 'a plugin socket is relayed too')
  await plug.close()
  const nothing = new PtyClient(`ws://127.0.0.1:${server.port}/api/no-such-socket?token=${TEST_TOKEN}`)
  t.match((await withTimeout(nothing.closed, 5000, 'no such')).reason, /^backend_unavailable: it answered 403/, 'a socket the backend refuses: 1011 backend_unavailable')
})

t.test('a bound SSO user reaches no other profile through a forwarded route', async (t) => {
  const { server } = await withBackend(t, { trust: 'proxy', trustedProxies: 'loopback', authHeader: 'Remote-User', groupsHeader: 'Remote-Groups', groupProfiles: 'family=alice,admins=*' })
  await untilState(server, 'ready')
  const alice = { 'Remote-User': 'alice', 'Remote-Groups': 'family', Origin: `http://127.0.0.1:${server.port}`, 'Sec-Fetch-Site': 'same-origin' }
  const cases: Array<[string, string, string | undefined, number]> = [
    ['path names bob', '/api/profiles/bob/soul', undefined, 403],
    ['query names bob', '/api/echo?profile=bob', undefined, 403],
    ['body names bob', '/api/echo', JSON.stringify({ profile: 'bob', x: 1 }), 403],
    ['path names alice', '/api/profiles/alice/soul', undefined, 200],
    ['body names alice', '/api/echo', JSON.stringify({ profile: 'alice' }), 200],
  ]
  for (const [what, path, body, want] of cases) {
    const r = await peer.http({ url: `${server.url}${path}`, method: body === undefined ? 'GET' : 'PUT', headers: { ...alice, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, ...(body === undefined ? {} : { body }) })
    t.equal(r.status, want, `${what}: ${want}`)
    if (want === 403) t.equal(json(r).error, 'profile_forbidden')
  }
  const none = await peer.http({ url: `${server.url}/api/echo?x=2`, headers: alice })
  t.equal(json<Recorded>(none).query, '?x=2&profile=alice', 'naming none, it is sent with her profile')
  const bodySent = await peer.http({ url: `${server.url}/api/echo`, method: 'PUT', headers: { ...alice, 'Content-Type': 'application/json' }, body: '{"profile":"alice","n":1}' })
  t.equal(json<Recorded>(bodySent).bodySha256, createHash('sha256').update('{"profile":"alice","n":1}').digest('hex'), 'a checked JSON body is sent as its exact bytes')
  const ws = new PtyClient(`ws://127.0.0.1:${server.port}/api/console?profile=bob`, { headers: alice })
  t.same(await withTimeout(ws.closed, 5000, 'ws bob'), { code: 4403, reason: 'profile_forbidden' }, 'a forwarded socket naming bob: 4403')
  const admin = await peer.http({ url: `${server.url}/api/echo?profile=bob`, headers: { ...alice, 'Remote-User': 'root', 'Remote-Groups': 'admins' } })
  t.equal(admin.status, 200, 'an admin may')
  const seen = await records(server, { ...alice, 'Remote-User': 'root', 'Remote-Groups': 'admins' })
  t.same(seen.filter((x) => x.query.includes('profile=bob') || x.path.includes('/bob/')).map((x) => `${x.method} ${x.path}${x.query}`), ['GET /api/echo?profile=bob'], 'no request for bob reached the backend but the admin\'s')
})

t.test('a backend killed mid-request: 502, then it is restarted and serves again', async (t) => {
  const { server } = await withBackend(t)
  await untilState(server, 'ready')
  const crash = await peer.http({ url: `${server.url}/api/crash`, headers: AUTH })
  t.equal(crash.status, 502, 'the request it died on: 502')
  t.equal(json(crash).error, 'backend_unavailable')
  let ok: HttpResult | null = null
  for (let i = 0; i < 100 && ok?.status !== 200; i++) {
    ok = await peer.http({ url: `${server.url}/api/echo`, headers: AUTH })
    if (ok.status !== 200) t.ok([502, 503].includes(ok.status), `meanwhile: ${ok.status} ${String(json(ok).error)}`)
  }
  t.equal(ok?.status, 200, 'after the restart it serves again')
  const st = await status(server)
  t.ok((st.backend.instances[0]?.restarts ?? 0) >= 1, `restarts counted: ${st.backend.instances[0]?.restarts}`)
})

t.test('a backend that never gets ready: 503 backend_starting with Retry-After, then backend_failed', async (t) => {
  const { server } = await withBackend(t, {}, { HERMES_FIXTURE_BACKEND_ARGS: '--never-ready' }, { readyWaitMs: 500, startMs: 800 })
  const r = await peer.http({ url: `${server.url}/api/echo`, headers: AUTH })
  t.equal(r.status, 503)
  t.equal(json(r).error, 'backend_starting')
  t.equal(r.headers['retry-after'], '2', 'Retry-After')
  t.equal((await peer.http({ url: `${server.url}/api/status` })).status, 200, 'our own routes answer meanwhile')
  await untilState(server, 'failed', 20_000)
  const failed = await peer.http({ url: `${server.url}/api/echo`, headers: AUTH })
  t.equal(json(failed).error, 'backend_failed', 'once it keeps failing, it says so')
})

t.test('a Hermes without `serve` (v0.13): `hermes dashboard --no-open`, its token read from its page', async (t) => {
  const { server, home } = await withBackend(t, {}, { HERMES_FIXTURE_NO_SERVE: '1', HERMES_FIXTURE_BACKEND_ARGS: '--page-token-only' })
  await untilState(server, 'ready')
  t.equal((await status(server)).backend.kind, 'dashboard')
  const r = await peer.http({ url: `${server.url}/api/echo`, headers: AUTH })
  t.equal(r.status, 200, 'forwarded with the token from the page')
  // Without per-request profiles, a profile gets a server of its own.
  const alice = await peer.http({ url: `${server.url}/api/echo?profile=alice`, headers: AUTH })
  t.equal(alice.status, 200)
  const st = await status(server)
  t.ok(st.backend.instances.some((i) => i.profile === 'alice' && i.state === 'ready'), 'alice\'s own server runs')
  const { readFileSync } = await import('node:fs')
  t.match(readFileSync(`${home}/logs/dashboard-backend.log`, 'utf8'), /hermes\.mjs dashboard --host 127\.0\.0\.1 --port \d+ --no-open/, 'its command line is in its log')
  t.match(readFileSync(`${home}/logs/dashboard-backend-alice.log`, 'utf8'), /-p alice dashboard/)
})

t.test('--hermes-backend off and URL', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const off = await startServer(t, { hermesHome: home.dir })
  const r = await peer.http({ url: `${off.url}/api/config`, headers: AUTH })
  t.equal(r.status, 503)
  t.equal(json(r).error, 'backend_off')
  t.match(String(json(r).hint), /--hermes-backend/)

  // A Hermes server already running: its token from the page, or given.
  const child = spawn(process.execPath, [`${FIXTURES}/backend.mjs`, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '', HERMES_DASHBOARD_SESSION_TOKEN: 'backend-token-0123456789' } })
  t.teardown(() => child.kill())
  const port = await new Promise<number>((resolve) => createInterface({ input: child.stdout! }).on('line', (l) => { const m = /port=(\d+)/.exec(l); if (m !== null) resolve(Number(m[1])) }))
  for (const [what, token] of [['token read from its page', undefined], ['token given', 'backend-token-0123456789']] as const) {
    const s = await startServer(t, { hermesHome: home.dir, hermesBackend: `http://127.0.0.1:${port}`, ...(token === undefined ? {} : { backendToken: token }) }, {}, { backendTiming: FAST })
    await untilState(s, 'ready')
    const e = await peer.http({ url: `${s.url}/api/echo`, headers: AUTH })
    t.equal(e.status, 200, what)
    t.equal(json<Recorded>(e).headers['x-hermes-session-token'], 'backend-token-0123456789', `${what}: the backend's token`)
    await s.close()
  }
  const bad = await import('../src/config/load.js').then((m) => { try { m.loadConfig({ options: { hermesBackend: 'http://192.0.2.1:9119' } }); return 'accepted' } catch (err) { return (err as Error).message } })
  t.match(bad, /must be on this host/, 'a backend off this host is refused at start-up')
})

t.test('/api/status: what only Hermes\' Python knows comes from its server; the rest is ours', async (t) => {
  const { server } = await withBackend(t, {}, { HERMES_FIXTURE_VERSION: '0.18.2' })
  await untilState(server, 'ready')
  // The first health check has answered once the backend is ready; the status cache lasts 250 ms.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const st = json<Record<string, unknown>>(await peer.http({ url: `${server.url}/api/status`, headers: AUTH }))
  t.equal(st.version, '0.18.2')
  t.equal(st.can_update_hermes, false, 'can_update_hermes as Hermes says (it knows how it was installed)')
  t.equal(st.restart_drain_timeout, 90, 'its configured drain timeout')
  t.equal(st.nous_session_valid, 'valid', 'its sign-in state')
  t.equal(st.latest_config_version, 40, 'its own config schema version')
  t.equal(st.fixture_backend, undefined, 'a known release gets its own fields only')
  t.equal(st.gateway_state, null, 'the gateway state is read here: no state file, no state')
})

t.test('--hermes-backend URL: a server that restarts with a new token of its own is followed', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const { createServer } = await import('node:net')
  const port = await new Promise<number>((resolve) => { const l = createServer().listen(0, '127.0.0.1', () => { const p = (l.address() as { port: number }).port; l.close(() => resolve(p)) }) })
  // Like v0.13's server: a token of its own at every start, shown only in its page.
  const startFixture = async (): Promise<ReturnType<typeof spawn>> => {
    const child = spawn(process.execPath, [`${FIXTURES}/backend.mjs`, '--port', String(port), '--page-token-only'], { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '' } })
    await withTimeout(new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on('line', (l) => { if (l.includes('FIXTURE_BACKEND_READY')) resolve() })), 10_000, 'the fixture backend starts')
    return child
  }
  const restart = async (child: ReturnType<typeof spawn>): Promise<ReturnType<typeof spawn>> => {
    const gone = new Promise((resolve) => child.once('exit', resolve))
    child.kill()
    await gone
    return await startFixture()
  }
  const tokenChanges = async (s: Running): Promise<number> => (await status(s)).backend.instances[0]?.token_changes ?? -1
  let child = await startFixture()
  t.teardown(() => child.kill())

  // Health checks a minute apart: only the backend's own 401 can make the dashboard read the token again.
  const s = await startServer(t, { hermesHome: home.dir, hermesBackend: `http://127.0.0.1:${port}` }, {}, { backendTiming: { ...FAST, healthMs: 60_000 } })
  await untilState(s, 'ready')
  t.equal((await peer.http({ url: `${s.url}/api/echo`, headers: AUTH })).status, 200, 'forwarded with the token from its page')
  child = await restart(child)
  const first = await peer.http({ url: `${s.url}/api/echo`, headers: AUTH })
  t.equal(first.status, 401, 'the restarted server refuses the old token, and its 401 is passed on')
  const end = Date.now() + 5000
  while (await tokenChanges(s) < 1 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(await tokenChanges(s), 1, 'that 401 made the dashboard read the new token from its page')
  t.equal((await peer.http({ url: `${s.url}/api/echo`, headers: AUTH })).status, 200, 'the next request is forwarded with the new token')
  // Any route of Hermes' may answer 401 on its own: a client repeating one must not make the
  // dashboard fetch the backend's page for each of them.
  const pageReads = async (): Promise<number> => (await records(s)).filter((r) => r.path === '/').length
  const before = await pageReads()
  const began = Date.now()
  for (let i = 0; i < 40; i++) t.equal((await peer.http({ url: `${s.url}/api/status-code?code=401`, headers: AUTH })).status, 401, 'its own 401, passed on')
  const seconds = Math.ceil((Date.now() - began) / 1000)
  t.ok(await pageReads() - before <= seconds + 1, `40 refusals in ${seconds} s: at most one page read a second (${await pageReads() - before})`)
  await s.close()

  // With health checks, a restart is followed before any request is refused.
  const h = await startServer(t, { hermesHome: home.dir, hermesBackend: `http://127.0.0.1:${port}` }, {}, { backendTiming: FAST })
  await untilState(h, 'ready')
  child = await restart(child)
  const until = Date.now() + 5000
  while (await tokenChanges(h) < 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(await tokenChanges(h), 1, 'a health check read the new token')
  t.equal((await peer.http({ url: `${h.url}/api/echo`, headers: AUTH })).status, 200, 'so the first request after the restart is forwarded')
  const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/api/console`, { headers: AUTH })
  const hello = await withTimeout(new Promise<string>((resolve, reject) => { ws.once('message', (d) => resolve(String(d))); ws.once('close', (c) => reject(new Error(`closed ${c}`))) }), 5000, 'the console says hello')
  t.match(hello, /hello/, 'and so is a WebSocket')
  ws.close()
  await h.close()
})

t.test('WebSocket forwarding against a real Python ASGI stack (FastAPI, uvicorn)', async (t) => {
  const { execFileSync } = await import('node:child_process')
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn'], { stdio: 'ignore' })
  } catch {
    t.fail('REQUIREMENT MISSING: Debian\'s python3-fastapi and python3-uvicorn (apt-get install python3-fastapi python3-uvicorn)')
    return
  }
  const token = 'python-backend-token-0123'
  const child = spawn('/usr/bin/python3', [`${FIXTURES}/backend_fastapi.py`, '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', BACKEND_TOKEN: token } })
  t.teardown(() => child.kill('SIGKILL'))
  let err = ''
  child.stderr.on('data', (c: Buffer) => { err += c.toString() })
  const port = await withTimeout(new Promise<number>((resolve) => createInterface({ input: child.stdout }).on('line', (l) => { const m = /^PY_BACKEND_READY port=(\d+)/.exec(l); if (m !== null) resolve(Number(m[1])) })), 20_000, `python backend (${err})`)
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir, hermesBackend: `http://127.0.0.1:${port}`, backendToken: token }, {}, { backendTiming: FAST })
  await untilState(s, 'ready')
  const rest = await peer.http({ url: `${s.url}/api/py/echo?x=1`, headers: AUTH })
  t.equal(rest.status, 200, 'REST through to uvicorn')
  t.same(json(rest), { ok: true, host_ok: true, token_ok: true, x: '1' })
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api/console?token=${TEST_TOKEN}`)
  const messages: string[] = []
  ws.on('message', (d: Buffer) => messages.push(d.toString()))
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  ws.send('hello python')
  const big = 'x'.repeat(2 * 1024 * 1024)
  ws.send(big)
  await withTimeout(new Promise<void>((resolve) => { const check = (): void => { if (messages.length >= 3) resolve(); else setTimeout(check, 20) }; check() }), 10_000, 'python echo')
  t.equal(messages[0], 'welcome', 'the ASGI app accepted the relayed socket (its token and Host checks passed)')
  t.equal(messages[1], 'echo:hello python')
  t.equal(messages[2]?.length, big.length + 5, 'a 2 MiB message both ways')
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  ws.send('bye')
  t.equal(await withTimeout(closed, 5000, 'close'), 4000, 'the ASGI app\'s close code comes through')
})

t.test('shutting down: a request in progress is answered, one that would never end is cut after the drain', async (t) => {
  const { server } = await withBackend(t)
  await untilState(server, 'ready')
  // Answered 600 ms after the close began: it was in progress, so it gets its answer, not a reset.
  const inProgress = peer.http({ url: `${server.url}/api/slow?ms=800`, headers: AUTH })
  // Far longer than the drain: its socket is closed, and the close does not wait for it.
  const endless = peer.http({ url: `${server.url}/api/slow?ms=60000`, headers: AUTH }).then(() => 'answered', (err: Error) => `cut: ${err.message}`)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const began = Date.now()
  const closed = server.close()
  const r = await inProgress
  t.equal(r.status, 200, 'the request in progress got its answer')
  t.same(json(r), { slept: 800 }, 'all of it')
  t.match(await endless, /^cut: /, 'the endless one was cut')
  await closed
  const took = Date.now() - began
  t.ok(took < 5000, `and the close took ${took} ms: the drain bounds it`)
})

t.test('shutting down: an answer finished during the drain ends its kept-alive connection, and the close ends with it', async (t) => {
  const { server } = await withBackend(t)
  await untilState(server, 'ready')
  // HTTP/1.1 keeps the connection alive; without this the browser's next request on it (a poll,
  // the WebSocket probe) got Fastify's 503 while the close waited out the whole drain for it.
  const sock = connect(server.port, '127.0.0.1')
  let text = ''
  let answeredAt = 0
  const ended = new Promise<number>((resolve) => {
    sock.on('data', (c: Buffer) => {
      text += c.toString('latin1')
      if (answeredAt === 0 && text.includes('{"slept":600}')) answeredAt = Date.now()
    })
    sock.on('end', () => resolve(Date.now()))
    sock.on('close', () => resolve(0))
  })
  sock.write(`GET /api/slow?ms=600 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Hermes-Session-Token: ${TEST_TOKEN}\r\n\r\n`)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const began = Date.now()
  const closed = server.close()
  const endedAt = await withTimeout(ended, 5000, 'end')
  sock.destroy()
  t.match(text, /^HTTP\/1\.1 200 /, 'the request in progress got its answer')
  t.not(answeredAt, 0, 'all of it')
  t.not(endedAt, 0, 'then the dashboard ended the connection (a FIN, not a cut)')
  t.ok(endedAt - answeredAt < 500, `${endedAt - answeredAt} ms after the answer`)
  await closed
  const took = Date.now() - began
  t.ok(took < SHUTDOWN_DRAIN_MS - 500, `the close took ${took} ms: it ended with the last answer, not with the drain's ${SHUTDOWN_DRAIN_MS} ms`)
})
