// test/browser-proxies.test.ts
// The built-in page in Debian's Chromium behind real proxies started by the test: nginx with TLS
// and Basic auth, nginx serving the dashboard under /hermes/ (prefix stripped, X-Forwarded-Prefix
// set), Caddy on the same host, nginx on another host (a test network; proxy mode), and nginx
// doing single sign-on (forward auth, with a verify server in Authelia's place). In each, the whole
// flow of page-flow.ts: status, Chat with a typed line, resize, the chat's session.info in Events,
// re-attach after a reload, the update log followed to its end, the Connection view; then the
// chat's exit as the page shows it. And nginx without the WebSocket lines: the page finds out why
// its sockets fail and says so.

import { randomUUID } from 'node:crypto'
import https from 'node:https'
import t from 'tap'
import { CHROMIUM, launchChromium, screenshot, watchErrors } from './helpers/browser.js'
import { caddyProxyConfig, startCaddy } from './helpers/caddy.js'
import { nginxForwardAuthSite, nginxProxySite, nginxSubPathSite, startNginx, startTlsBasicNginx } from './helpers/nginx.js'
import { endChat, exercisePage, openView, recordUrls, waitText } from './helpers/page-flow.js'
import { freePort } from './helpers/proc.js'
import type { TT } from './helpers/proxy-checks.js'
import { processesWith } from './helpers/pty-client.js'
import { requireProgram, requireTestNet } from './helpers/requirements.js'
import { startChatServer } from './helpers/server.js'
import { startVerifyServer } from './helpers/sso.js'
import { TLS_NAME } from './helpers/tls.js'

const VIEWPORT = { width: 1280, height: 800 }
const HOME = { sessions: { active: 1, ended: 0, stale: 0 } }

t.test('nginx with TLS and Basic auth', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  if (!requireProgram(t, 'nginx', 'apt-get install nginx')) return
  if (!requireProgram(t, 'openssl', 'apt-get install openssl')) return
  const password = `pw-${randomUUID()}`
  const { server, marker } = await startChatServer(t, { trust: 'loopback', trustedProxies: 'loopback', allowedHosts: TLS_NAME }, HOME)
  const port = await startTlsBasicNginx(t, server.port, 'hermes', password)
  const browser = await launchChromium(t, [`--host-resolver-rules=MAP ${TLS_NAME} 127.0.0.1`])
  const url = `https://${TLS_NAME}:${port}/`

  const stranger = await new Promise<number | undefined>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: '/', servername: TLS_NAME, headers: { Host: `${TLS_NAME}:${port}` }, rejectUnauthorized: false }, (res) => { res.resume(); resolve(res.statusCode) }).on('error', reject)
  })
  t.equal(stranger, 401, 'without the Basic credentials nginx answers 401')

  // The credentials are given to the browser, which answers nginx's challenge and reuses them on
  // the WebSocket handshakes, as a person's browser does after the password prompt.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: { username: 'hermes', password }, viewport: VIEWPORT })
  const page = await context.newPage()
  const errors = watchErrors(page)
  const urls = recordUrls(page)
  await page.goto(url)
  await exercisePage(t, page, { name: 'nginx-tls-basic', marker, mode: 'loopback', connection: /came from 127\.0\.0\.1, a trusted proxy/, errors })
  t.match(await page.locator('#conn-details').innerText(), new RegExp(`Address used\\s+https://${TLS_NAME.replace(/\./g, '\\.')}:${port}/`), 'the dashboard saw the https address the browser used')
  t.ok(urls.some((u) => u.startsWith(`wss://${TLS_NAME}:${port}/api/pty?`)), 'Chat ran over wss:// through nginx')
  const cookie = (await context.cookies()).find((c) => c.name.startsWith('hermes'))
  t.equal(cookie?.secure, true, 'behind TLS the session cookie is Secure')
  await endChat(t, page, { name: 'nginx-tls-basic', marker })
})

t.test('nginx under a sub-path: /hermes/, prefix stripped, X-Forwarded-Prefix set', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  if (!requireProgram(t, 'nginx', 'apt-get install nginx')) return
  const { server, marker } = await startChatServer(t, { trust: 'loopback', trustedProxies: 'loopback' }, HOME)
  const port = await freePort()
  await startNginx(t, { site: nginxSubPathSite({ listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${server.port}`, prefix: '/hermes' }), host: '127.0.0.1', port })
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: VIEWPORT })
  const errors = watchErrors(page)
  const urls = recordUrls(page)
  await page.goto(`http://127.0.0.1:${port}/hermes`)
  t.equal(new URL(page.url()).pathname, '/hermes/', '/hermes is sent on to /hermes/')
  await exercisePage(t, page, { name: 'nginx-subpath', marker, mode: 'loopback', connection: /came from 127\.0\.0\.1, a trusted proxy/, errors })
  t.match(await page.locator('#conn-details').innerText(), new RegExp(`Address used\\s+http://127\\.0\\.0\\.1:${port}/hermes/`), 'the dashboard saw its base path')
  await endChat(t, page, { name: 'nginx-subpath', marker })

  // Every request of the page (assets, REST, every WebSocket) stayed under the prefix.
  const paths = urls.map((u) => new URL(u)).filter((u) => u.port === String(port)).map((u) => u.pathname)
  t.ok(paths.length > 10, `the page made ${paths.length} requests`)
  t.same(paths.filter((p) => p !== '/hermes' && !p.startsWith('/hermes/')), [], 'none outside /hermes/')
  for (const ws of ['/hermes/api/pty', '/hermes/api/events']) t.ok(paths.includes(ws), `${ws} was used`)
})

t.test('Caddy on the same host', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  if (!requireProgram(t, 'caddy', 'apt-get install caddy')) return
  const name = 'hermes.caddy.test'
  const { server, marker } = await startChatServer(t, { trust: 'loopback', trustedProxies: 'loopback', allowedHosts: name }, HOME)
  const port = await freePort()
  await startCaddy(t, { caddyfile: caddyProxyConfig({ site: `http://${name}:${port}`, bind: '127.0.0.1', upstream: `127.0.0.1:${server.port}` }), host: '127.0.0.1', port })
  const browser = await launchChromium(t, [`--host-resolver-rules=MAP ${name} 127.0.0.1`])
  const page = await browser.newPage({ viewport: VIEWPORT })
  const errors = watchErrors(page)
  await page.goto(`http://${name}:${port}/`)
  await exercisePage(t, page, { name: 'caddy', marker, mode: 'loopback', connection: /came from 127\.0\.0\.1, a trusted proxy/, errors })
  await endChat(t, page, { name: 'caddy', marker })
})

t.test('nginx on another host (a test network), proxy mode, the dashboard on a non-loopback address', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  if (!requireProgram(t, 'nginx', 'apt-get install nginx')) return
  const net = await requireTestNet(t)
  if (net === null) return
  const proxyAddr = net.addrs[0] as string
  // The browser is on this host and reaches nginx over the veth, so the dashboard sees nginx's address
  // and nginx forwards this host's: the Docker / tunnel-pod shape, where Chat used to die with 4403.
  const { server, marker } = await startChatServer(t, { host: net.hostAddr, trust: 'proxy', trustedProxies: proxyAddr }, HOME)
  const port = 8080
  await startNginx(t, { site: nginxProxySite({ listen: `${proxyAddr}:${port}`, upstream: `${net.hostAddr}:${server.port}` }), host: proxyAddr, port, netns: net.ns })
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: VIEWPORT })
  const errors = watchErrors(page)
  await page.goto(`http://${proxyAddr}:${port}/`)
  const chain = new RegExp(`came from ${proxyAddr.replace(/\./g, '\\.')}, a trusted proxy\\.[\\s\\S]*the client is ${net.hostAddr.replace(/\./g, '\\.')}`)
  await exercisePage(t, page, { name: 'nginx-other-host', marker, mode: 'proxy', connection: chain, errors })
  t.match(await page.locator('#conn-details').innerText(), new RegExp(`Your address\\s+${net.hostAddr.replace(/\./g, '\\.')}`), 'the browser\'s address, from the trusted proxy\'s X-Forwarded-For')
  await endChat(t, page, { name: 'nginx-other-host', marker })
})

t.test('nginx that does not pass WebSocket upgrades: the page says so, instead of retrying for ever', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  if (!requireProgram(t, 'nginx', 'apt-get install nginx')) return
  const { server, marker } = await startChatServer(t, { trust: 'loopback', trustedProxies: 'loopback' }, HOME)
  const port = await freePort()
  // The most common mistake (reference: "the page loads but the live part is dead"): the site
  // without its Upgrade and Connection lines.
  const site = nginxProxySite({ listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${server.port}` })
    .split('\n').filter((line) => !/proxy_set_header (Upgrade|Connection)/.test(line)).join('\n')
  t.notMatch(site, /Upgrade \$http_upgrade/, 'the site passes no upgrade')
  await startNginx(t, { site, host: '127.0.0.1', port })
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: VIEWPORT })
  const errors = watchErrors(page)
  await page.goto(`http://127.0.0.1:${port}/`)
  await waitText(page, '#conn', /^connected$/)
  t.pass('the page and its REST calls work through this proxy')
  const notice = await waitText(page, '#chat-notice', /WebSockets do not get through/, 30_000)
  t.match(notice, /plain HTTP request, without its WebSocket upgrade/, 'the chat names the cause')
  t.match(notice, /proxy_set_header Upgrade \$http_upgrade/, 'and the fix, from the server\'s hint')
  t.equal(await page.locator('#chat-notice').getAttribute('data-reason'), 'upgrade_required')
  t.match(await page.locator('#chat-state').innerText(), /stopped/, 'and stops retrying')
  await openView(page, 'events')
  await waitText(page, '#events-notice', /WebSockets do not get through/)
  t.pass('the events feed says the same')
  await screenshot(page, 'proxy-without-upgrade')
  t.equal(processesWith(marker).length, 0, 'no chat was started by the plain requests')
  t.same(errors.filter((e) => !/WebSocket|status of 426/.test(e)), [], 'no console errors but the failed handshakes and the 426 the page asked for')
})

t.test('nginx with single sign-on (forward auth, as for Authelia): identity headers, WebSockets included', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  if (!requireProgram(t, 'nginx', 'apt-get install nginx')) return
  const sessions: Record<string, { user: string, groups: string }> = { 'alice-session': { user: 'alice', groups: 'admins,family' } }
  const verify = await startVerifyServer(t, sessions)
  const { server, marker } = await startChatServer(t, { trust: 'proxy', trustedProxies: 'loopback', authHeader: 'Remote-User', groupsHeader: 'Remote-Groups', groupProfiles: 'admins=*' }, HOME)
  const port = await freePort()
  await startNginx(t, { site: nginxForwardAuthSite({ listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${server.port}`, verify: `http://127.0.0.1:${verify.port}/verify` }), host: '127.0.0.1', port })
  const browser = await launchChromium(t)
  const url = `http://127.0.0.1:${port}/`

  const stranger = await browser.newPage()
  t.equal((await stranger.goto(url))?.status(), 401, 'not signed in at the SSO server: nginx answers 401')
  await stranger.close()

  // Signed in at the portal: the browser holds the SSO server's session cookie.
  const context = await browser.newContext({ viewport: VIEWPORT })
  await context.addCookies([{ name: 'sso_session', value: 'alice-session', url }])
  const page = await context.newPage()
  const errors = watchErrors(page)
  await page.goto(url)
  await exercisePage(t, page, { name: 'nginx-sso', marker, mode: 'proxy', connection: /The proxy says the user is alice \(groups: admins, family\)/, errors })
  t.match(await page.locator('#conn-details').innerText(), /Signed-in user\s+alice/)
  t.ok(verify.asked.some((u) => u.includes('/api/pty?')), 'the SSO server was asked about the chat\'s WebSocket too')
  t.ok(verify.asked.some((u) => u.includes('/api/events?')), 'and about the events feed')

  // A page script naming itself someone else: nginx replaces the header with the SSO server's answer.
  const claimed = await page.evaluate(async () => {
    const r = await fetch('/api/trust/explain', { headers: { 'Remote-User': 'mallory', 'Remote-Groups': 'admins' } })
    return ((await r.json()) as { identity: { user: string } | null }).identity?.user ?? null
  })
  t.equal(claimed, 'alice', 'a Remote-User set by the page does not get through')
  await endChat(t, page, { name: 'nginx-sso', marker })

  // The SSO session ends (signed out elsewhere, expired): the page says so at its next refresh.
  delete sessions['alice-session']
  await openView(page, 'status')
  const notice = await waitText(page, '#status-notice', /401/, 15_000)
  t.match(notice, /from something in front of the dashboard/, 'a proxy\'s 401 is told apart from the dashboard\'s')
  t.match(await page.locator('#conn').innerText(), /refused: http_401/)
  t.equal(await page.locator('#status-notice button').innerText(), 'Reload the page', 'and a reload (back through the portal) is offered')
})
