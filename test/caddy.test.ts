// test/caddy.test.ts
// Caddy as a same-host reverse proxy, end to end: a real Caddy started by the test with the Caddyfile
// template of test/helpers/caddy.ts (the text docs/proxy-snippets.md shows), in front of a dashboard
// in loopback mode that trusts the proxy on this host (--trust loopback --trusted-proxies loopback)
// and answers to the public name (--allowed-hosts). Caddy sets X-Forwarded-For, -Proto and -Host itself.

import t from 'tap'
import { readFileSync } from 'node:fs'
import { CADDY_DOC_EXAMPLE, caddyProxyConfig, startCaddy } from './helpers/caddy.js'
import { createFixtureHome } from './helpers/home.js'
import { PROJECT_ROOT } from './helpers/paths.js'
import { json, localPeer } from './helpers/peer.js'
import { freePort } from './helpers/proc.js'
import { checkPubSub, cookieAttributes, setCookies, wsRefusal } from './helpers/proxy-checks.js'
import { requireProgram } from './helpers/requirements.js'
import { startServer, TEST_TOKEN } from './helpers/server.js'

const NAME = 'dash.example.test'
const TOKEN_HEADER = { 'X-Hermes-Session-Token': TEST_TOKEN }
const PROTECTED = '/api/actions/hermes-update/status?lines=5'

t.test('docs/proxy-snippets.md shows the Caddyfile this test runs', async (t) => {
  const doc = readFileSync(`${PROJECT_ROOT}/docs/proxy-snippets.md`, 'utf8')
  t.ok(doc.includes('```caddyfile\n' + CADDY_DOC_EXAMPLE + '```'), 'the rendered template appears verbatim in a caddyfile code block')
})

t.test('Caddy on the same host: REST, page and WebSockets', async (t) => {
  if (!requireProgram(t, 'caddy', 'apt-get install caddy')) return
  const home = createFixtureHome()
  t.teardown(home.remove)
  const server = await startServer(t, { hermesHome: home.dir, trust: 'loopback', trustedProxies: 'loopback', allowedHosts: NAME })
  const port = await freePort()
  await startCaddy(t, { caddyfile: caddyProxyConfig({ site: `http://${NAME}:${port}`, bind: '127.0.0.1', upstream: `127.0.0.1:${server.port}` }), host: '127.0.0.1', port })
  const client = localPeer('127.0.0.1')
  const base = `http://127.0.0.1:${port}`
  const host = { Host: `${NAME}:${port}` }

  const status = await client.http({ url: `${base}/api/status`, headers: host })
  t.equal(status.status, 200, 'GET /api/status through Caddy: 200')
  // Whatever release's shape (the version probe may not have answered yet): the dashboard's own part.
  t.equal(json<{ dashboard?: { name?: string } }>(status).dashboard?.name, 'hermes-dashboard', '... the dashboard\'s JSON')

  const ok = await client.http({ url: `${base}${PROTECTED}`, headers: { ...host, ...TOKEN_HEADER } })
  t.equal(ok.status, 200, 'protected REST with the token through Caddy: 200')
  t.equal(json(ok).name, 'hermes-update', '... answered by the dashboard')
  const missing = await client.http({ url: `${base}${PROTECTED}`, headers: host })
  t.equal(missing.status, 401, 'protected REST without a credential: 401')
  t.equal(json(missing).error, 'token_missing', '... token_missing')

  const page = await client.http({ url: `${base}/`, headers: host })
  t.equal(page.status, 200, 'the page through Caddy: 200')
  t.ok(page.body.includes(`window.__HERMES_SESSION_TOKEN__=${JSON.stringify(TEST_TOKEN)}`), 'the page carries the token')
  const cookie = setCookies(page)[0] ?? ''
  t.ok(cookie.startsWith('hermes_dashboard_'), 'the page sets the session cookie')
  t.notOk('secure' in cookieAttributes(cookie), 'X-Forwarded-Proto http: the cookie is not Secure')

  // How the dashboard saw it; the client also sends its own X-Forwarded-For, as a forger would.
  const seen = await client.http({ url: `${base}/api/trust/explain`, headers: { ...host, ...TOKEN_HEADER, 'X-Forwarded-For': '198.51.100.7' } })
  t.equal(seen.status, 200, '/api/trust/explain through Caddy: 200')
  const e = json<{ peer: { trusted_proxy: boolean }, forwarded: { used: string[], hops: string[] }, client: string, request: { scheme: string }, forwarded_host: { raw: string } | null, host: { raw: string } | null }>(seen)
  t.equal(e.peer.trusted_proxy, true, 'Caddy at 127.0.0.1 is a trusted proxy')
  t.same([...e.forwarded.used].sort(), ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto'], 'Caddy set X-Forwarded-For, -Host and -Proto')
  t.same(e.forwarded.hops, ['127.0.0.1'], 'Caddy replaced the client\'s own X-Forwarded-For (it trusts no client by default)')
  t.equal(e.client, '127.0.0.1', 'the client is the browser')
  t.equal(e.request.scheme, 'http', 'scheme http')
  t.equal(e.host?.raw, `${NAME}:${port}`, 'Caddy keeps the Host header')
  t.equal(e.forwarded_host?.raw, `${NAME}:${port}`, 'X-Forwarded-Host is the public name')

  const wsBase = `ws://127.0.0.1:${port}`
  t.same(await wsRefusal(client, `${wsBase}/api/events?channel=caddy-refused`, { headers: host }), { code: 4401, reason: 'token_missing' },
    'a WebSocket without the token is closed 4401 token_missing through Caddy')
  await checkPubSub(t, client, wsBase, 'caddy', TEST_TOKEN, { headers: host })
  // What the browser does: the page's own origin on the socket, and the cookie the page set.
  const pageCookie = (cookie.split(';')[0] ?? '').trim()
  await checkPubSub(t, client, wsBase, 'caddy-cookie', null, { headers: { ...host, Cookie: pageCookie, Origin: `http://${NAME}:${port}` } })

  const rebind = await client.http({ url: `${base}/api/status`, headers: { Host: `rebind.attacker.test:${port}` } })
  // Caddy answers a name no site matches itself, with an empty 200: the dashboard never sees it.
  t.equal(rebind.body, '', `a request for another name does not reach the dashboard (Caddy: ${rebind.status}, empty body)`)
})
