// test/doctor.test.ts
// `hermes-dashboard doctor URL`, the command line's own, run against the dashboard through a real
// nginx and a real Caddy started by the test: set up right it passes every check and exits 0; set
// up in each of the ways users get wrong (no WebSocket upgrade headers, prefix not stripped, Host
// pinned, proxy not trusted, Basic auth in front) it exits 1 and names the line that fixes it.

import t from 'tap'
import { CADDY_DOC_EXAMPLE, caddyProxyConfig, startCaddy } from './helpers/caddy.js'
import { createFixtureHome } from './helpers/home.js'
import { nginxForwardAuthSite, nginxProxySite, startNginx, startTlsBasicNginx } from './helpers/nginx.js'
import { freePort } from './helpers/proc.js'
import { type TT } from './helpers/proxy-checks.js'
import { requireProgram } from './helpers/requirements.js'
import { runCli, startServer, TEST_TOKEN } from './helpers/server.js'
import { startVerifyServer } from './helpers/sso.js'



function home (t: TT): string {
  const h = createFixtureHome()
  t.teardown(h.remove)
  return h.dir
}

/** The lines of doctor's report that failed, each with its fix. */
function failures (out: string): string[] {
  return out.split('\n').filter((l) => l.startsWith('FAIL'))
}

async function doctor (url: string, ...args: string[]): Promise<{ code: number | null, out: string }> {
  const r = await runCli(['doctor', url, ...args])
  return { code: r.code, out: r.stdout + r.stderr }
}

/** nginx on this host in front of the dashboard, with `site` made from the listen and upstream. */
async function nginx (t: TT, upstream: number, site: (listen: string, upstream: string) => string): Promise<number> {
  const port = await freePort()
  await startNginx(t, { site: site(`127.0.0.1:${port}`, `127.0.0.1:${upstream}`), host: '127.0.0.1', port })
  return port
}

/** The documented nginx site with one line changed, the way a hand-written configuration goes wrong. */
function edited (listen: string, upstream: string, from: RegExp, to: string): string {
  const site = nginxProxySite({ listen, upstream })
  const out = site.replace(from, to)
  if (out === site) throw new Error(`the template no longer contains ${String(from)}`)
  return out
}

t.test('doctor: its own usage errors exit 2', async (t) => {
  const none = await doctor('')
  t.equal(none.code, 2, 'an empty URL: exit 2')
  t.match(none.out, /give the dashboard's URL/, '... saying what to give')
  const ftp = await doctor('ftp://127.0.0.1/')
  t.equal(ftp.code, 2, 'a URL that is not http(s): exit 2')
  const help = await runCli(['doctor', '--help'])
  t.equal(help.code, 0, '--help: exit 0')
  t.match(help.stdout, /Usage: hermes-dashboard doctor URL/, '... and the usage')
})

t.test('doctor: nothing listening at the URL', async (t) => {
  const port = await freePort()
  const r = await doctor(`http://127.0.0.1:${port}/`)
  t.equal(r.code, 1, 'exit 1')
  t.match(r.out, /FAIL GET \/api\/status through the proxy: no answer: .*ECONNREFUSED/, 'the status check says the connection was refused')
})

t.test('doctor through nginx set up as docs/proxy-snippets.md shows: every check passes', async (t) => {
  if (!requireProgram(t, 'nginx', 'apt-get install nginx-light')) return
  const server = await startServer(t, { hermesHome: home(t), trust: 'loopback', trustedProxies: 'loopback' })
  const port = await nginx(t, server.port, (listen, upstream) => nginxProxySite({ listen, upstream }))
  const url = `http://127.0.0.1:${port}/`
  const withToken = await doctor(url, '--token', TEST_TOKEN)
  t.equal(withToken.code, 0, `exit 0\n${withToken.out}`)
  t.same(failures(withToken.out), [], 'no check failed')
  t.match(withToken.out, /ok {3}the token into the cookie .*HttpOnly; SameSite=Strict/, 'the token went into an HttpOnly, SameSite=Strict cookie')
  t.match(withToken.out, /connection from 127\.0\.0\.1 \(a trusted proxy\); its x-forwarded-for, x-forwarded-proto, x-forwarded-host read/, 'the dashboard read the proxy\'s forwarded headers')
  for (const path of ['/api/events', '/api/pty', '/api/ws']) t.match(withToken.out, new RegExp(`ok {3}WebSocket ${path}: upgraded`), `${path}: upgraded through nginx`)

  const wrongToken = await doctor(url, '--token', 'not-the-token-at-all-0123456789')
  t.equal(wrongToken.code, 1, 'a wrong token: exit 1')
  t.match(wrongToken.out, /FAIL the token into the cookie/, '... the cookie step fails')
  t.match(wrongToken.out, /FAIL WebSocket \/api\/events: closed 4401 token_invalid\n\s+→ The socket had no valid token/, '... and the sockets say token_invalid with the fix')
})

t.test('doctor through nginx without the WebSocket headers: the sockets fail, and the fix names them', async (t) => {
  if (!requireProgram(t, 'nginx', 'apt-get install nginx-light')) return
  const server = await startServer(t, { hermesHome: home(t), trust: 'loopback', trustedProxies: 'loopback' })
  const port = await nginx(t, server.port, (listen, upstream) =>
    edited(listen, upstream, /\n\s*proxy_set_header Upgrade \$http_upgrade;\n\s*proxy_set_header Connection \$connection_upgrade;/, ''))
  const r = await doctor(`http://127.0.0.1:${port}/`, '--token', TEST_TOKEN)
  t.equal(r.code, 1, 'exit 1')
  const failed = failures(r.out)
  t.equal(failed.length, 3, `the three sockets fail, nothing else\n${r.out}`)
  t.match(r.out, /FAIL WebSocket \/api\/events: 426: the request reached the dashboard without its Upgrade header\n\s+→ The proxy does not pass WebSocket upgrades\. nginx: proxy_http_version 1\.1; proxy_set_header Upgrade \$http_upgrade;/, 'the dashboard\'s 426 is explained with the nginx lines')
  t.match(r.out, /ok {3}GET \/api\/status/, 'REST still passes')
})

t.test('doctor through nginx under a sub-path that nginx does not strip', async (t) => {
  if (!requireProgram(t, 'nginx', 'apt-get install nginx-light')) return
  const server = await startServer(t, { hermesHome: home(t), trust: 'loopback', trustedProxies: 'loopback' })
  // `location /hermes/ { proxy_pass http://up; }`: no path on proxy_pass, so /hermes/ reaches the dashboard.
  const port = await nginx(t, server.port, (listen, upstream) => edited(listen, upstream, /location \/ \{/, 'location /hermes/ {'))
  const r = await doctor(`http://127.0.0.1:${port}/hermes/`, '--token', TEST_TOKEN)
  t.equal(r.code, 1, 'exit 1')
  t.match(r.out, /FAIL GET \/hermes\/api\/status through the proxy: .*\n\s+→ The proxy must strip \/hermes .*X-Forwarded-Prefix/, 'the status check says the prefix must be stripped and named')
})

t.test('doctor through nginx that pins Host, the proxy not trusted', async (t) => {
  if (!requireProgram(t, 'nginx', 'apt-get install nginx-light')) return
  const server = await startServer(t, { hermesHome: home(t) })
  // Pinned to the upstream's own address: allowed, so the page works; the untrusted proxy is still named.
  const pinned = await nginx(t, server.port, (listen, upstream) => nginxProxySite({ listen, upstream, hostHeader: upstream }))
  const r = await doctor(`http://127.0.0.1:${pinned}/`, '--token', TEST_TOKEN)
  t.equal(r.code, 1, `exit 1\n${r.out}`)
  t.same(failures(r.out), ['FAIL forwarded headers: 127.0.0.1 sent x-forwarded-for, x-forwarded-proto, x-forwarded-host, and they are ignored: it is not a trusted proxy'], 'the one failure is the untrusted proxy')
  t.match(r.out, /→ Start the dashboard with --trusted-proxies 127\.0\.0\.1/, '... with the flag that trusts it')
  t.match(r.out, new RegExp(`host: the browser asks for 127\\.0\\.0\\.1:${pinned}, the dashboard sees 127\\.0\\.0\\.1:${server.port}`), 'the pinned Host is named')

  // Pinned to a name the dashboard does not allow: everything is refused, and doctor says which flag.
  const named = await nginx(t, server.port, (listen, upstream) => nginxProxySite({ listen, upstream, hostHeader: 'hermes.internal' }))
  const n = await doctor(`http://127.0.0.1:${named}/`, '--token', TEST_TOKEN)
  t.equal(n.code, 1, 'exit 1')
  t.match(n.out, /FAIL GET \/api\/status through the proxy: 403 from the dashboard: host_not_allowed: .*hermes\.internal/, 'the status check is refused host_not_allowed, naming the Host nginx sent')
  t.match(n.out, /--allowed-hosts/, '... and the fix names --allowed-hosts')
})

t.test('doctor through nginx with TLS and Basic auth', async (t) => {
  if (!requireProgram(t, 'nginx', 'apt-get install nginx-light')) return
  if (!requireProgram(t, 'openssl', 'apt-get install openssl')) return
  const server = await startServer(t, { hermesHome: home(t), trust: 'loopback', trustedProxies: 'loopback' })
  const port = await startTlsBasicNginx(t, server.port, 'hermes', 'correct horse battery')
  const url = `https://127.0.0.1:${port}/`
  const untrusted = await doctor(url, '--token', TEST_TOKEN)
  t.equal(untrusted.code, 1, 'a self-signed certificate without --insecure-tls: exit 1')
  t.match(untrusted.out, /no answer: self[- ]signed certificate/, '... and says why')
  const noUser = await doctor(url, '--token', TEST_TOKEN, '--insecure-tls')
  t.equal(noUser.code, 1, 'without --user: exit 1')
  t.match(noUser.out, /FAIL GET \/api\/status through the proxy: 401: the proxy asks for Basic auth\n\s+→ Give doctor the proxy's user: --user/, '... the 401 is nginx\'s Basic auth, and --user is the fix')
  const ok = await doctor(url, '--token', TEST_TOKEN, '--insecure-tls', '--user', 'hermes:correct horse battery')
  t.equal(ok.code, 0, `with --user and --insecure-tls: exit 0\n${ok.out}`)
  t.match(ok.out, /cookie Path=\/; HttpOnly; SameSite=Strict; Secure/, 'the cookie is Secure: the dashboard knows the browser uses TLS')
  t.match(ok.out, /Authorization: Basic belongs to the proxy and is ignored/, 'the Basic credential was seen and ignored')
})

t.test('doctor through nginx with single sign-on (forward auth): the proxy\'s session cookie given with --header', async (t) => {
  if (!requireProgram(t, 'nginx', 'apt-get install nginx-light')) return
  const verify = await startVerifyServer(t, { 'alice-session': { user: 'alice', groups: 'admins' } })
  const server = await startServer(t, { hermesHome: home(t), trust: 'proxy', trustedProxies: 'loopback', authHeader: 'Remote-User', groupsHeader: 'Remote-Groups', groupProfiles: 'admins=*' })
  const port = await nginx(t, server.port, (listen, upstream) => nginxForwardAuthSite({ listen, upstream, verify: `http://127.0.0.1:${verify.port}/verify` }))
  const url = `http://127.0.0.1:${port}/`
  const anonymous = await doctor(url)
  t.equal(anonymous.code, 1, 'without the SSO session: exit 1')
  t.match(anonymous.out, /FAIL GET \/api\/status through the proxy: 401 from the proxy: it wants a sign-in .*\n\s+→ Give doctor the session the browser has at the SSO proxy: --header 'Cookie:/, 'the proxy\'s 401 is told apart from Basic auth, with the --header fix')

  const signedIn = await doctor(url, '--header', 'Cookie: sso_session=alice-session')
  t.equal(signedIn.code, 0, `with the proxy's session cookie: exit 0\n${signedIn.out}`)
  t.same(failures(signedIn.out), [], 'no check failed')
  t.ok(verify.asked.some((u) => u.includes('/api/pty?')), 'the SSO server was asked about doctor\'s WebSockets too')

  // The dashboard's own refusal of a request without identity (a proxy that does not forward it).
  const direct = await doctor(`http://127.0.0.1:${server.port}/`, '--token', TEST_TOKEN)
  t.equal(direct.code, 1, 'straight to the dashboard, past the proxy: exit 1')
  t.match(direct.out, /FAIL WebSocket \/api\/events: closed 4401 identity_missing.*\n\s+→ The SSO proxy sent no identity header/, 'identity_missing is explained as the proxy\'s identity header, not as a stale token')

  const bad = await doctor(url, '--header', 'no colon here')
  t.equal(bad.code, 2, 'a --header without a colon: exit 2')
})

t.test('doctor through Caddy as docs/proxy-snippets.md shows; and with the proxy not trusted', async (t) => {
  if (!requireProgram(t, 'caddy', 'apt-get install caddy')) return
  t.match(CADDY_DOC_EXAMPLE, /reverse_proxy 127\.0\.0\.1:9119/, 'the documented Caddyfile is the one rendered here')
  const port = await freePort()
  const caddyfile = (upstream: number): string => caddyProxyConfig({ site: `http://127.0.0.1:${port}`, bind: '127.0.0.1', upstream: `127.0.0.1:${upstream}` })

  const right = await startServer(t, { hermesHome: home(t), trust: 'loopback', trustedProxies: 'loopback' })
  const caddy = await startCaddy(t, { caddyfile: caddyfile(right.port), host: '127.0.0.1', port })
  const ok = await doctor(`http://127.0.0.1:${port}/`, '--token', TEST_TOKEN)
  t.equal(ok.code, 0, `exit 0\n${ok.out}`)
  t.same(failures(ok.out), [], 'no check failed')
  await caddy.stop()

  const untrusted = await startServer(t, { hermesHome: home(t), trust: 'token' })
  await startCaddy(t, { caddyfile: caddyfile(untrusted.port), host: '127.0.0.1', port })
  const r = await doctor(`http://127.0.0.1:${port}/`, '--token', TEST_TOKEN)
  t.equal(r.code, 1, `the proxy not trusted: exit 1\n${r.out}`)
  t.match(r.out, /FAIL forwarded headers: 127\.0\.0\.1 sent .*x-forwarded-for.*ignored: it is not a trusted proxy/, 'the ignored forwarded headers are named')
})
