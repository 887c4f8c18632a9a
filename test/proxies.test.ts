// test/proxies.test.ts
// The reported reverse-proxy setups of DESIGN.md, end to end through a real nginx started by the test:
// 1. nginx on the same host, dashboard on 127.0.0.1 (loopback mode; then with --trusted-proxies loopback);
// 2. nginx on another host (a network namespace), --trust proxy; and the same with --insecure;
// 3. nginx with TLS and Basic auth, dashboard behind it with --trusted-proxies loopback;
// 4. the update modal's status poller, which sends the session cookie and no token header.
// The nginx configurations are the templates of test/helpers/nginx.ts, the same text
// docs/proxy-snippets.md shows; the first subtest holds the two together.

import t from 'tap'
import { readFileSync } from 'node:fs'
import { createFixtureHome } from './helpers/home.js'
import { NGINX_DOC_EXAMPLES, nginxProxySite, nginxTlsBasicSite, startNginx, writeHtpasswd } from './helpers/nginx.js'
import { PROJECT_ROOT } from './helpers/paths.js'
import { json, localPeer, type Headers, type Peer } from './helpers/peer.js'
import { freePort } from './helpers/proc.js'
import { checkPubSub, cookieAttributes, cookiePair, setCookies, wsRefusal, type TT } from './helpers/proxy-checks.js'
import { requireProgram, requireTestNet } from './helpers/requirements.js'
import { startServer, TEST_TOKEN, type Running } from './helpers/server.js'
import { createSelfSignedCert, TLS_NAME } from './helpers/tls.js'

const TOKEN_HEADER = { 'X-Hermes-Session-Token': TEST_TOKEN }
const PROTECTED = '/api/actions/hermes-update/status?lines=5'
const PAGE_TOKEN = `window.__HERMES_SESSION_TOKEN__=${JSON.stringify(TEST_TOKEN)}`

interface Explain {
  mode: string
  request: { scheme: string }
  peer: { address: string, loopback: boolean, trusted_proxy: boolean }
  forwarded: { sent: string[], read: boolean, ignored: string[], used: string[], hops: string[], chosen_hop: number }
  client: string
  host: { raw: string, allowed: boolean } | null
  forwarded_host: { raw: string, allowed: boolean } | null
  credentials: Record<string, string | null>
}

function needNginx (t: TT): boolean {
  return requireProgram(t, 'nginx', 'apt-get install nginx-light (or nginx)')
}

/** Starts a fixture HERMES_HOME, removed at teardown. */
function home (t: TT): string {
  const h = createFixtureHome()
  t.teardown(h.remove)
  return h.dir
}

/** What every plain-HTTP proxy setup must do: public REST, protected REST with and without the token,
 *  a refused WebSocket keeps its close code through the proxy, and publish → subscribe works. */
async function checkBasics (t: TT, client: Peer, base: string, opts: { host?: string, channel: string }): Promise<void> {
  const h: Headers = opts.host === undefined ? {} : { Host: opts.host }
  const status = await client.http({ url: `${base}/api/status`, headers: h })
  t.equal(status.status, 200, 'GET /api/status through the proxy: 200')
  // Whatever release's shape (the version probe may not have answered yet): the dashboard's own part.
  t.equal(json<{ dashboard?: { name?: string } }>(status).dashboard?.name, 'hermes-dashboard', '/api/status is the dashboard\'s JSON')

  const ok = await client.http({ url: `${base}${PROTECTED}`, headers: { ...h, ...TOKEN_HEADER } })
  t.equal(ok.status, 200, 'protected REST with X-Hermes-Session-Token through the proxy: 200')
  t.equal(json(ok).name, 'hermes-update', 'protected REST answered by the dashboard')

  const missing = await client.http({ url: `${base}${PROTECTED}`, headers: h })
  t.equal(missing.status, 401, 'protected REST without a credential: 401')
  t.equal(json(missing).error, 'token_missing', '... token_missing')

  const wsBase = base.replace(/^http/, 'ws')
  t.same(await wsRefusal(client, `${wsBase}/api/events?channel=${opts.channel}-refused`, { headers: h }), { code: 4401, reason: 'token_missing' },
    'a WebSocket without the token is closed 4401 token_missing, and the close code survives the proxy')
  await checkPubSub(t, client, wsBase, opts.channel, TEST_TOKEN, { headers: h })
}

async function explain (client: Peer, base: string, headers: Headers, insecureTls = false): Promise<{ status: number, body: Explain }> {
  const r = await client.http({ url: `${base}/api/trust/explain`, headers, insecureTls })
  return { status: r.status, body: json<Explain>(r) }
}

t.test('docs/proxy-snippets.md shows the nginx configurations these tests run', async (t) => {
  const doc = readFileSync(`${PROJECT_ROOT}/docs/proxy-snippets.md`, 'utf8')
  for (const [name, text] of Object.entries(NGINX_DOC_EXAMPLES)) {
    t.ok(doc.includes('```nginx\n' + text + '```'), `${name}: the rendered template appears verbatim in an nginx code block`)
  }
})

t.test('1. nginx on the same host, dashboard on 127.0.0.1 (reported scenario 1)', async (t) => {
  if (!needNginx(t)) return

  await t.test('default loopback mode, Host passed through ($http_host)', async (t) => {
    const server = await startServer(t, { hermesHome: home(t) })
    t.equal(server.app.hermes.policy.mode, 'loopback', 'the default mode for 127.0.0.1 is loopback')
    const port = await freePort()
    await startNginx(t, { site: nginxProxySite({ listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${server.port}` }), host: '127.0.0.1', port })
    const client = localPeer('127.0.0.1')
    const base = `http://127.0.0.1:${port}`

    await checkBasics(t, client, base, { channel: 'same-host' })

    const page = await client.http({ url: `${base}/` })
    t.equal(page.status, 200, 'the page through nginx: 200')
    t.ok(page.body.includes(PAGE_TOKEN), 'the page carries window.__HERMES_SESSION_TOKEN__ with the token')
    t.match(String(page.headers['cache-control']), /no-store/, 'the page is served no-store')
    const cookie = setCookies(page)[0] ?? ''
    t.ok(cookie.startsWith('hermes_dashboard_'), 'the page sets the session cookie')
    t.notOk('secure' in cookieAttributes(cookie), 'over plain http the cookie is not Secure')

    // The proxy is not trusted here: its X-Forwarded-* headers are ignored, the peer is the client.
    const seen = await explain(client, base, TOKEN_HEADER)
    t.equal(seen.status, 200, '/api/trust/explain with the token through nginx: 200')
    t.equal(seen.body.peer.address, '127.0.0.1', 'the dashboard saw nginx at 127.0.0.1')
    t.equal(seen.body.peer.trusted_proxy, false, 'nginx is not a trusted proxy without --trusted-proxies')
    t.equal(seen.body.forwarded.read, false, 'forwarded headers not read')
    t.ok(seen.body.forwarded.ignored.includes('x-forwarded-for'), 'X-Forwarded-For was sent by nginx and ignored')
    t.equal(seen.body.client, '127.0.0.1', 'the client is the peer')
    t.equal(seen.body.host?.raw, `127.0.0.1:${port}`, 'Host is the one the browser sent to nginx')

    const rebind = await client.http({ url: `${base}/`, headers: { Host: `rebind.attacker.test:${port}` } })
    t.equal(rebind.status, 403, 'a DNS-rebinding name through nginx is refused')
    t.notOk(rebind.body.includes(PAGE_TOKEN), '... and gets no token')
    t.match(rebind.body, /host_not_allowed/, '... host_not_allowed')
  })

  await t.test('as reported: nginx pins Host to the dashboard\'s 127.0.0.1:<port>', async (t) => {
    const server = await startServer(t, { hermesHome: home(t) })
    const port = await freePort()
    await startNginx(t, {
      site: nginxProxySite({ listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${server.port}`, hostHeader: `127.0.0.1:${server.port}` }),
      host: '127.0.0.1',
      port,
    })
    const client = localPeer('127.0.0.1')
    const base = `http://127.0.0.1:${port}`
    await checkBasics(t, client, base, { channel: 'same-host-pinned' })
    const page = await client.http({ url: `${base}/` })
    t.equal(page.status, 200, 'the page through nginx: 200')
    t.ok(page.body.includes(PAGE_TOKEN), 'the page carries the token')
    const seen = await explain(client, base, TOKEN_HEADER)
    t.equal(seen.body.host?.raw, `127.0.0.1:${server.port}`, 'the dashboard sees the pinned Host')
    // Pinning Host hides the browser's host name from an untrusted proxy: record what a rebinding name gets.
    const rebind = await client.http({ url: `${base}/`, headers: { Host: `rebind.attacker.test:${port}` } })
    t.comment(`with Host pinned and the proxy untrusted, Host: rebind.attacker.test gets ${rebind.status}` +
      (rebind.body.includes(PAGE_TOKEN) ? ' and the page WITH the token (the Host check cannot see the name)' : ''))
  })

  await t.test('--trusted-proxies loopback: the forwarded client is read', async (t) => {
    const server = await startServer(t, { hermesHome: home(t), trust: 'loopback', trustedProxies: 'loopback' })
    t.equal(server.app.hermes.policy.mode, 'loopback', 'still loopback mode')
    const port = await freePort()
    await startNginx(t, { site: nginxProxySite({ listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${server.port}` }), host: '127.0.0.1', port })
    const client = localPeer('127.0.0.1')
    const base = `http://127.0.0.1:${port}`

    await checkBasics(t, client, base, { channel: 'same-host-trusted' })
    const page = await client.http({ url: `${base}/` })
    t.ok(page.body.includes(PAGE_TOKEN), 'the page carries the token')

    // An earlier hop (a CDN, another proxy) already set X-Forwarded-For; nginx appends the browser.
    const seen = await explain(client, base, { ...TOKEN_HEADER, 'X-Forwarded-For': '198.51.100.7' })
    t.equal(seen.status, 200, '/api/trust/explain with the token: 200')
    t.equal(seen.body.peer.trusted_proxy, true, 'nginx at 127.0.0.1 is a trusted proxy')
    t.equal(seen.body.forwarded.read, true, 'forwarded headers read')
    t.ok(seen.body.forwarded.used.includes('x-forwarded-for'), 'from X-Forwarded-For')
    t.same(seen.body.forwarded.hops, ['198.51.100.7', '127.0.0.1'], 'nginx appended its client to the chain')
    t.equal(seen.body.client, '198.51.100.7', 'the right-most untrusted hop is the client')
    t.equal(seen.body.forwarded_host?.raw, `127.0.0.1:${port}`, 'X-Forwarded-Host from nginx is read')

    const plain = await explain(client, base, TOKEN_HEADER)
    t.same(plain.body.forwarded.hops, ['127.0.0.1'], 'without an earlier hop the chain is the browser alone')
    t.equal(plain.body.client, '127.0.0.1', 'and the client is the browser on this host')

    const rebind = await client.http({ url: `${base}/`, headers: { Host: `rebind.attacker.test:${port}` } })
    t.equal(rebind.status, 403, 'a DNS-rebinding name through the trusted proxy is refused')
  })
})

t.test('2. nginx on another host, dashboard in proxy mode (reported scenario 2)', async (t) => {
  if (!needNginx(t)) return
  const net = await requireTestNet(t)
  if (net === null) return
  const proxyAddr = net.addrs[0] as string
  const lanAddr = net.addrs[1] as string
  // This process is the browser: it reaches nginx in the namespace from the host side of the veth.
  const client = localPeer(net.hostAddr)

  await t.test('--trust proxy --trusted-proxies <nginx>', async (t) => {
    const server = await startServer(t, { hermesHome: home(t), host: net.hostAddr, trust: 'proxy', trustedProxies: proxyAddr })
    t.equal(server.app.hermes.policy.mode, 'proxy', 'proxy mode')
    const port = 8080
    await startNginx(t, { site: nginxProxySite({ listen: `${proxyAddr}:${port}`, upstream: `${net.hostAddr}:${server.port}` }), host: proxyAddr, port, netns: net.ns })
    const base = `http://${proxyAddr}:${port}`

    const seen = await explain(client, base, TOKEN_HEADER)
    t.equal(seen.status, 200, '/api/trust/explain through nginx with the token: 200')
    t.equal(seen.body.peer.address, proxyAddr, 'nginx connects to the dashboard from its primary address')
    t.equal(seen.body.peer.trusted_proxy, true, '... which is the trusted proxy')
    t.same(seen.body.forwarded.hops, [net.hostAddr], 'nginx forwarded the browser\'s address')
    t.equal(seen.body.client, net.hostAddr, 'the client is the browser')

    await checkBasics(t, client, base, { channel: 'other-host' })
    const page = await client.http({ url: `${base}/` })
    t.equal(page.status, 200, 'the page through nginx: 200')
    t.ok(page.body.includes(PAGE_TOKEN), 'proxy mode injects the token into the page')

    // The same dashboard refuses a host that is not the proxy, even with the token.
    const lan = net.agent.peer(lanAddr)
    const direct = await lan.http({ url: `${server.url}${PROTECTED}`, headers: TOKEN_HEADER })
    t.equal(direct.status, 403, `a direct connection from ${lanAddr}: 403`)
    t.equal(json(direct).error, 'peer_not_allowed', '... peer_not_allowed')
    t.same(await wsRefusal(lan, `ws://${net.hostAddr}:${server.port}/api/events?channel=direct&token=${TEST_TOKEN}`), { code: 4408, reason: 'peer_not_allowed' },
      'a direct WebSocket from the LAN host is closed 4408 peer_not_allowed')
  })

  await t.test('--insecure on a non-loopback address: WebSockets through the proxy need no token', async (t) => {
    const server = await startServer(t, { hermesHome: home(t), insecure: true, host: net.hostAddr })
    t.equal(server.app.hermes.policy.mode, 'insecure', 'insecure mode')
    const port = 8081
    await startNginx(t, { site: nginxProxySite({ listen: `${proxyAddr}:${port}`, upstream: `${net.hostAddr}:${server.port}` }), host: proxyAddr, port, netns: net.ns })
    const base = `http://${proxyAddr}:${port}`

    const open = await client.http({ url: `${base}${PROTECTED}` })
    t.equal(open.status, 200, 'protected REST without a token through nginx: 200')
    t.same(Object.keys(json(open)).sort(), ['exit_code', 'lines', 'name', 'pid', 'running'], 'the status poller gets its JSON')
    await checkPubSub(t, client, `ws://${proxyAddr}:${port}`, 'insecure', null)
    await checkPubSub(t, client, `ws://${proxyAddr}:${port}`, 'insecure-token', TEST_TOKEN)

    const rebind = await client.http({ url: `${base}${PROTECTED}`, headers: { Host: `rebind.attacker.test:${port}` } })
    t.equal(rebind.status, 403, 'even insecure: a DNS-rebinding name is refused')
    t.equal(json(rebind).error, 'host_not_allowed', '... host_not_allowed')
    t.same(await wsRefusal(client, `ws://${proxyAddr}:${port}/api/events?channel=x`, { headers: { Origin: 'https://evil.example' } }), { code: 4403, reason: 'origin_not_allowed' },
      'even insecure: a WebSocket from a foreign page is closed 4403 origin_not_allowed')
  })
})

t.test('3. nginx with TLS and Basic auth (reported scenario 4)', async (t) => {
  if (!needNginx(t)) return
  if (!requireProgram(t, 'openssl', 'apt-get install openssl')) return
  const cert = createSelfSignedCert(t)
  const htpasswd = writeHtpasswd(cert.dir, 'hermes', 'correct horse battery')
  const basic = `Basic ${Buffer.from('hermes:correct horse battery').toString('base64')}`
  const wrongBasic = `Basic ${Buffer.from('hermes:wrong').toString('base64')}`

  const server = await startServer(t, { hermesHome: home(t), trust: 'loopback', trustedProxies: 'loopback', allowedHosts: TLS_NAME })
  const port = await freePort()
  await startNginx(t, {
    site: nginxTlsBasicSite({
      listen: `127.0.0.1:${port}`, serverName: TLS_NAME, upstream: `127.0.0.1:${server.port}`,
      certificate: cert.cert, certificateKey: cert.key, htpasswd,
    }),
    host: '127.0.0.1',
    port,
  })
  const client = localPeer('127.0.0.1')
  const base = `https://127.0.0.1:${port}`
  const host = { Host: `${TLS_NAME}:${port}` }
  const tls = { insecureTls: true }

  const noAuth = await client.http({ url: `${base}/api/status`, headers: host, ...tls })
  t.equal(noAuth.status, 401, 'without Basic credentials nginx answers 401')
  t.equal(noAuth.headers['www-authenticate'], 'Basic realm="Hermes dashboard"', '... with its own challenge')
  const wrong = await client.http({ url: `${base}/api/status`, headers: { ...host, Authorization: wrongBasic }, ...tls })
  t.equal(wrong.status, 401, 'a wrong Basic password: nginx 401')

  const ok = await client.http({ url: `${base}${PROTECTED}`, headers: { ...host, Authorization: basic, ...TOKEN_HEADER }, ...tls })
  t.equal(ok.status, 200, 'Basic credentials + X-Hermes-Session-Token over TLS: 200')
  t.equal(json(ok).name, 'hermes-update', '... answered by the dashboard')
  const basicOnly = await client.http({ url: `${base}${PROTECTED}`, headers: { ...host, Authorization: basic }, ...tls })
  t.equal(basicOnly.status, 401, 'Basic credentials alone are not the dashboard\'s credential')
  t.equal(json(basicOnly).error, 'token_missing', '... token_missing, from the dashboard')

  const seen = await explain(client, base, { ...host, Authorization: basic, ...TOKEN_HEADER }, true)
  t.equal(seen.status, 200, '/api/trust/explain over TLS: 200')
  t.equal(seen.body.request.scheme, 'https', 'X-Forwarded-Proto https from the trusted proxy: the scheme is https')
  t.equal(seen.body.credentials.ignoredAuthorization, 'Basic', 'nginx passed Authorization: Basic on, and the dashboard ignored it')
  t.equal(seen.body.forwarded_host?.raw, `${TLS_NAME}:${port}`, 'X-Forwarded-Host is the public name')
  t.equal(seen.body.client, '127.0.0.1', 'the client is the browser')

  await checkPubSub(t, client, `wss://127.0.0.1:${port}`, 'tls', TEST_TOKEN, { headers: { ...host, Authorization: basic }, ...tls })
  t.same(await wsRefusal(client, `wss://127.0.0.1:${port}/api/events?channel=tls&token=${TEST_TOKEN}`, { headers: host, ...tls }), { status: 401 },
    'a wss:// handshake without Basic credentials is refused by nginx with 401')

  const page = await client.http({ url: `${base}/`, headers: { ...host, Authorization: basic }, ...tls })
  t.equal(page.status, 200, 'the page over TLS: 200')
  t.ok(page.body.includes(PAGE_TOKEN), 'the page carries the token')
  const cookie = setCookies(page)[0] ?? ''
  const attrs = cookieAttributes(cookie)
  t.ok('secure' in attrs, `the session cookie is Secure behind TLS (${cookie.replace(TEST_TOKEN, '<token>')})`)
  t.ok('httponly' in attrs, '... HttpOnly')
  t.equal(attrs.samesite?.toLowerCase(), 'strict', '... SameSite=Strict')
  t.equal(attrs.path, '/', '... Path=/')

  // "Absolute http:// URLs cause redirect loops behind TLS": the ?token= redirect stays relative.
  const withToken = await client.http({ url: `${base}/?token=${TEST_TOKEN}`, headers: { ...host, Authorization: basic }, ...tls })
  t.equal(withToken.status, 303, 'the page with ?token= redirects to drop the token from the address')
  const location = String(withToken.headers.location)
  t.notMatch(location, /^http:/, `the redirect does not leave TLS (Location: ${location})`)
  t.notOk(location.includes(TEST_TOKEN), '... and no longer carries the token')
})

t.test('4. the update modal\'s poller authenticates with the page\'s cookie alone (reported scenario 2)', async (t) => {
  if (!needNginx(t)) return
  const server: Running = await startServer(t, { hermesHome: home(t) })
  const port = await freePort()
  await startNginx(t, { site: nginxProxySite({ listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${server.port}` }), host: '127.0.0.1', port })
  const client = localPeer('127.0.0.1')
  const base = `http://127.0.0.1:${port}`

  const page = await client.http({ url: `${base}/` })
  t.equal(page.status, 200, 'the page through nginx')
  const cookie = cookiePair(page)
  t.ok(cookie !== null && cookie.startsWith('hermes_dashboard_'), 'the page set the session cookie')
  if (cookie === null) return

  // The modal starts the update with the token, then polls with whatever the browser sends by itself.
  const started = await client.http({ url: `${base}/api/hermes/update`, method: 'POST', headers: TOKEN_HEADER })
  t.equal(started.status, 200, 'POST /api/hermes/update with the token through nginx: 200')

  let last: Record<string, unknown> = {}
  let status = 0
  for (let i = 0; i < 100; i++) {
    const r = await client.http({ url: `${base}/api/actions/hermes-update/status`, headers: { Cookie: cookie } })
    status = r.status
    if (status !== 200) break
    last = json(r)
    if (last.running === false) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal(status, 200, 'GET /api/actions/hermes-update/status with only the cookie: 200')
  t.same(Object.keys(last).sort(), ['exit_code', 'lines', 'name', 'pid', 'running'], 'the JSON has name, running, exit_code, pid, lines')
  t.equal(last.name, 'hermes-update', 'name')
  t.equal(last.running, false, 'the update finished')
  t.equal(last.exit_code, 0, 'exit_code 0')
  t.type(last.pid, 'number', 'pid of the finished run')
  t.ok(Array.isArray(last.lines) && (last.lines as unknown[]).includes('Update complete.'), 'lines hold the log tail')

  const none = await client.http({ url: `${base}/api/actions/hermes-update/status` })
  t.equal(none.status, 401, 'without the cookie: 401')
  t.equal(json(none).error, 'token_missing', '... token_missing')

  // The page's other ambient path: WebSockets with the cookie and the page's own Origin, no ?token=.
  await checkPubSub(t, client, `ws://127.0.0.1:${port}`, 'cookie-only', null, { headers: { Cookie: cookie, Origin: base } })
  t.same(await wsRefusal(client, `ws://127.0.0.1:${port}/api/events?channel=cookie-foreign`, { headers: { Cookie: cookie, Origin: 'https://evil.example' } }),
    { code: 4403, reason: 'origin_not_allowed' }, 'the cookie from a foreign page\'s WebSocket: 4403 origin_not_allowed')
})
