// test/page.test.ts
// The front end as served: the four Hermes globals where the mode allows, the base path from a trusted
// X-Forwarded-Prefix or --public-url, asset and CSS rewriting, the token page and cookie of token mode,
// refusal pages, and JSON (never the page) for unknown API paths.

import { request, type IncomingHttpHeaders } from 'node:http'
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cookieNameFor } from '../src/trust/credentials.js'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { startServer, TEST_TOKEN } from './helpers/server.js'

const COOKIE_NAME = cookieNameFor(TEST_TOKEN)
const peer = localPeer()

/** A front-end build shaped like Hermes' (absolute asset URLs, CSS naming fonts by URL). */
const made: string[] = []
t.teardown(() => { for (const d of made) rmSync(d, { recursive: true, force: true }) })

/** A temporary directory, removed when the file's tests end. */
function tempDir (prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

function hermesLikeDist (): string {
  const dir = tempDir('hd-dist-')
  mkdirSync(join(dir, 'assets'))
  mkdirSync(join(dir, 'fonts'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><meta charset="utf-8">' +
    '<link rel="icon" href="/favicon.ico"><link rel="stylesheet" href="/assets/index-abc.css">' +
    '<link rel="preload" href="/fonts/inter.woff2"><script type="module" src="/assets/index-abc.js"></script>' +
    '</head><body><div id="root"></div><a href="/assets-elsewhere">x</a></body></html>')
  writeFileSync(join(dir, 'assets', 'index-abc.css'), '@font-face{src:url(/fonts/inter.woff2)}.a{background:url(\'/ds-assets/b.png\')}.b{mask:url("/assets/c.svg")}.c{background:url(/other/d.png)}')
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log("hermes")')
  writeFileSync(join(dir, 'fonts', 'inter.woff2'), 'font')
  writeFileSync(join(dir, 'favicon.ico'), 'icon')
  writeFileSync(join(dir, '.env'), 'SECRET=do-not-serve')
  return dir
}

function setCookie (headers: Record<string, string | string[] | undefined>): string {
  const v = headers['set-cookie']
  return Array.isArray(v) ? v.join('\n') : v ?? ''
}

t.test('loopback mode: the page carries the four globals and the cookie', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  const r = await peer.http({ url: `${s.url}/` })
  t.equal(r.status, 200)
  t.match(r.headers['content-type'], /text\/html/)
  t.match(r.headers['cache-control'], /no-store/)
  t.ok(r.body.includes(`window.__HERMES_SESSION_TOKEN__="${TEST_TOKEN}";`), 'token injected')
  t.ok(r.body.includes('window.__HERMES_DASHBOARD_EMBEDDED_CHAT__=true;'))
  t.ok(r.body.includes('window.__HERMES_BASE_PATH__="";'))
  t.ok(r.body.includes('window.__HERMES_AUTH_REQUIRED__=false;'))
  t.ok(r.body.indexOf('__HERMES_SESSION_TOKEN__') < r.body.indexOf('</head>'), 'globals come before </head>')
  const cookie = setCookie(r.headers)
  t.match(cookie, new RegExp(`^${COOKIE_NAME}=${TEST_TOKEN}`))
  t.match(cookie, /HttpOnly/)
  t.match(cookie, /SameSite=Strict/)
  t.match(cookie, /Path=\//)
  t.notMatch(cookie, /Secure/, 'no Secure flag over plain http')

  const deep = await peer.http({ url: `${s.url}/sessions/abc?x=1` })
  t.equal(deep.status, 200, 'client routes get the page')
  t.ok(deep.body.includes('__HERMES_BASE_PATH__'))

  const head = await peer.http({ url: `${s.url}/`, method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(head.body, '')

  const asset = await peer.http({ url: `${s.url}/assets/app.js` })
  t.equal(asset.status, 200, 'the built-in page\'s script')
  t.match(asset.headers['content-type'], /javascript/)
})

t.test('unknown API paths get JSON, never the page', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  const auth = { 'X-Hermes-Session-Token': TEST_TOKEN }
  // With no backend behind, every /api/ path that is Hermes' own says so (backend.test.ts forwards them).
  for (const path of ['/api/nope', '/api/sessions/x/y']) {
    const r = await peer.http({ url: `${s.url}${path}`, headers: auth })
    t.equal(r.status, 503, path)
    t.match(r.headers['content-type'], /application\/json/)
    t.equal(json(r).error, 'backend_off')
  }
  const root = await peer.http({ url: `${s.url}/api`, headers: auth })
  t.equal(root.status, 404, '/api itself')
  t.equal(json(root).detail, 'No such API endpoint: /api')
  const post = await peer.http({ url: `${s.url}/api/nope`, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })
  t.equal(post.status, 503)
  const anonymous = await peer.http({ url: `${s.url}/api/nope` })
  t.equal(anonymous.status, 401, 'unknown API paths are protected like the rest')
  t.equal(json(anonymous).error, 'token_missing')
})

t.test('a Hermes build: assets served, dotfiles not, headless message without index.html', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const dist = hermesLikeDist()
  const s = await startServer(t, { hermesHome: home.dir, webDist: dist })
  const css = await peer.http({ url: `${s.url}/assets/index-abc.css` })
  t.equal(css.status, 200)
  t.ok(css.body.includes('url(/fonts/inter.woff2)'), 'no prefix: CSS unchanged')
  t.equal((await peer.http({ url: `${s.url}/favicon.ico` })).body, 'icon')
  t.equal((await peer.http({ url: `${s.url}/fonts/inter.woff2` })).body, 'font')
  const env = await peer.http({ url: `${s.url}/.env` })
  t.notOk(env.body.includes('do-not-serve'), 'a dotfile is never served')
  const traversal = await peer.http({ url: `${s.url}/assets/..%2f.env` })
  t.notOk(traversal.body.includes('do-not-serve'), 'no traversal out of assets/')
  t.equal((await peer.http({ url: `${s.url}/assets/missing.js` })).status, 404)

  const empty = tempDir('hd-empty-')
  const headless = await startServer(t, { hermesHome: home.dir, webDist: empty })
  const r = await peer.http({ url: `${headless.url}/` })
  t.equal(r.status, 404)
  t.match(json(r).error, /Frontend not built/)
})

t.test('base path from a trusted proxy\'s X-Forwarded-Prefix', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const dist = hermesLikeDist()
  const trusted = await startServer(t, { hermesHome: home.dir, webDist: dist, trustedProxies: 'loopback', trust: 'loopback' })
  const headers = { 'X-Forwarded-Prefix': '/hermes/', 'X-Forwarded-For': '198.51.100.7' }
  const page = await peer.http({ url: `${trusted.url}/`, headers })
  t.equal(page.status, 200)
  t.ok(page.body.includes('window.__HERMES_BASE_PATH__="/hermes";'))
  t.ok(page.body.includes('href="/hermes/assets/index-abc.css"'))
  t.ok(page.body.includes('src="/hermes/assets/index-abc.js"'))
  t.ok(page.body.includes('href="/hermes/favicon.ico"'))
  t.ok(page.body.includes('href="/hermes/fonts/inter.woff2"'))
  t.ok(page.body.includes('href="/assets-elsewhere"'), 'other links untouched')
  t.match(setCookie(page.headers), /Path=\/hermes/)
  const css = await peer.http({ url: `${trusted.url}/assets/index-abc.css`, headers })
  t.ok(css.body.includes('url(/hermes/fonts/inter.woff2)'))
  t.ok(css.body.includes('url(\'/hermes/ds-assets/b.png\')'))
  t.ok(css.body.includes('url("/hermes/assets/c.svg")'))
  t.ok(css.body.includes('url(/other/d.png)'), 'other URLs untouched')
  t.match(css.headers.vary, /X-Forwarded-Prefix/i)

  // From a peer that is not a trusted proxy, the header is only a string a page script could set.
  const untrusted = await startServer(t, { hermesHome: home.dir, webDist: dist })
  const ignored = await peer.http({ url: `${untrusted.url}/`, headers })
  t.ok(ignored.body.includes('window.__HERMES_BASE_PATH__="";'), 'ignored from an untrusted peer')
  t.ok(ignored.body.includes('href="/assets/index-abc.css"'))
})

t.test('base path from --public-url, and its host is allowed', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir, webDist: hermesLikeDist(), publicUrl: 'https://dash.example.test/hermes/' })
  const r = await peer.http({ url: `${s.url}/`, headers: { Host: 'dash.example.test' } })
  t.equal(r.status, 200)
  t.ok(r.body.includes('window.__HERMES_BASE_PATH__="/hermes";'))
  t.ok(r.body.includes('href="/hermes/assets/index-abc.css"'))
  const other = await peer.http({ url: `${s.url}/`, headers: { Host: 'other.example.test' } })
  t.equal(other.status, 403)
  t.match(other.headers['content-type'], /text\/html/, 'a refused page load gets a page that says why')
  t.ok(other.body.includes('data-reason="host_not_allowed"'))
  t.ok(other.body.includes('--allowed-hosts'), 'the refusal names the flag that would change it')
})

t.test('token mode: token page, ?token= once, then the cookie', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir, trust: 'token' })

  const ask = await peer.http({ url: `${s.url}/` })
  t.equal(ask.status, 401)
  t.match(ask.headers['content-type'], /text\/html/)
  t.ok(ask.body.includes('<form'), 'a form asks for the token')
  t.ok(ask.body.includes('data-reason="token_missing"'))
  t.notOk(ask.body.includes(TEST_TOKEN), 'the token is never served to a caller that has not presented it')
  t.notOk(ask.body.includes('__HERMES_SESSION_TOKEN__'))

  const wrong = await peer.http({ url: `${s.url}/?token=not-the-token-0123456789` })
  t.equal(wrong.status, 401)
  t.ok(wrong.body.includes('data-reason="token_invalid"'))

  const given = await peer.http({ url: `${s.url}/chat?token=${TEST_TOKEN}&channel=c1` })
  t.equal(given.status, 303, 'the token leaves the address bar')
  t.equal(given.headers.location, '/chat?channel=c1')
  const cookie = setCookie(given.headers)
  t.match(cookie, new RegExp(`^${COOKIE_NAME}=${TEST_TOKEN}`))

  const page = await peer.http({ url: `${s.url}/chat?channel=c1`, headers: { Cookie: `${COOKIE_NAME}=${TEST_TOKEN}` } })
  t.equal(page.status, 200)
  t.ok(page.body.includes(`window.__HERMES_SESSION_TOKEN__="${TEST_TOKEN}";`), 'a caller that presented it gets it for the front end')

  const status = await peer.http({ url: `${s.url}/api/status` })
  t.equal(status.status, 200, '/api/status stays public')
  t.equal(json(status).hermes_home, undefined, 'local paths only for authenticated callers')
  const authed = await peer.http({ url: `${s.url}/api/status`, headers: { 'X-Hermes-Session-Token': TEST_TOKEN } })
  t.equal(json(authed).hermes_home, home.dir)
})

t.test('insecure mode: page served with globals to anyone admitted', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir, insecure: true })
  const r = await peer.http({ url: `${s.url}/` })
  t.equal(r.status, 200)
  t.ok(r.body.includes('window.__HERMES_AUTH_REQUIRED__=false;'))
  t.ok(r.body.includes('__HERMES_SESSION_TOKEN__'))
})

t.test('the built-in page: its bundles, gzipped for browsers that take gzip', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  const get = (path: string, headers: Record<string, string>): Promise<{ status: number, headers: IncomingHttpHeaders, body: Buffer }> => new Promise((resolve, reject) => {
    request(`${s.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    }).on('error', reject).end()
  })
  for (const asset of ['/assets/app.js', '/assets/app.css']) {
    const plain = await get(asset, {})
    const zipped = await get(asset, { 'Accept-Encoding': 'gzip, deflate' })
    const brotli = await get(asset, { 'Accept-Encoding': 'gzip, deflate, br' })
    t.equal(plain.headers['content-encoding'], undefined, `${asset}: plain without Accept-Encoding`)
    t.equal(zipped.headers['content-encoding'], 'gzip', `${asset}: gzip when accepted`)
    t.equal(brotli.headers['content-encoding'], 'br', `${asset}: brotli first when accepted`)
    t.ok(gunzipSync(zipped.body).equals(plain.body), 'the same bytes once unzipped')
    t.ok(brotliDecompressSync(brotli.body).equals(plain.body), 'the same bytes once decompressed')
    t.ok(zipped.body.length < plain.body.length / 2, `${plain.body.length} bytes → ${zipped.body.length}`)
    t.equal(Number(zipped.headers['content-length']), zipped.body.length)
    t.match(zipped.headers.vary, /Accept-Encoding/)
    t.type(plain.headers['last-modified'], 'string', 'Last-Modified')
    t.not(zipped.headers.etag, plain.headers.etag, 'one ETag per encoding')
    t.equal((await get(asset, { 'Accept-Encoding': 'gzip', 'If-None-Match': String(zipped.headers.etag) })).status, 304)
    t.equal((await get(asset, { 'Accept-Encoding': 'gzip', 'If-None-Match': String(plain.headers.etag) })).status, 200, 'the plain ETag does not validate the gzip body')
    t.equal((await get(asset, { 'Accept-Encoding': 'gzip;q=0, identity' })).headers['content-encoding'], undefined, 'gzip;q=0 is a refusal')
    const range = await get(asset, { Range: 'bytes=0-99' })
    t.equal(range.status, 206, 'Range')
    t.ok(range.body.equals(plain.body.subarray(0, 100)), 'the first 100 bytes')
  }
  const page = await get('/', { 'Accept-Encoding': 'gzip' })
  t.match(page.body.toString('utf8'), /<script type="module" src="\/assets\/app.js">/, 'index.html names the bundle')
  t.match(page.body.toString('utf8'), /__HERMES_BASE_PATH__/)
})

t.test('a precompressed copy is sent only while its bytes are the file\'s, whatever the times', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const dist = hermesLikeDist()
  const js = join(dist, 'assets', 'index-abc.js')
  const v1 = 'console.log("build one");'.repeat(200)
  writeFileSync(js, v1)
  writeFileSync(`${js}.gz`, gzipSync(v1))
  writeFileSync(`${js}.br`, brotliCompressSync(v1))
  // The copies look older than the file, as after an npm install that extracted them first.
  utimesSync(`${js}.gz`, new Date('2020-01-01'), new Date('2020-01-01'))
  utimesSync(`${js}.br`, new Date('2020-01-01'), new Date('2020-01-01'))
  const s = await startServer(t, { hermesHome: home.dir, webDist: dist })
  const get = (headers: Record<string, string>): Promise<{ encoding: string | undefined, body: Buffer }> => new Promise((resolve, reject) => {
    request(`${s.url}/assets/index-abc.js`, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }))
    }).on('error', reject).end()
  })
  const both = { 'Accept-Encoding': 'gzip, br' }
  t.equal((await get(both)).encoding, 'br', 'copies older than the file but of its bytes: sent')
  t.equal((await get({ 'Accept-Encoding': 'gzip' })).encoding, 'gzip', '... the gzip one too')

  // The file rebuilt, the brotli copy left from the first build, the gzip copy remade.
  const v2 = 'console.log("build two");'.repeat(200)
  writeFileSync(js, v2)
  writeFileSync(`${js}.gz`, gzipSync(v2))
  const after = await get(both)
  t.equal(after.encoding, 'gzip', 'the stale brotli copy is passed over for the good gzip one')
  t.equal(gunzipSync(after.body).toString(), v2, '... holding the new build')
  const brOnly = await get({ 'Accept-Encoding': 'br' })
  t.equal(brOnly.encoding, undefined, 'a browser taking only brotli gets the plain file, not the stale copy')
  t.equal(brOnly.body.toString(), v2, '... of the new build')
  writeFileSync(`${js}.gz`, 'not gzip at all')
  const broken = await get({ 'Accept-Encoding': '*' })
  t.equal(broken.encoding, undefined, 'a copy that does not decompress is never sent (nor picked for *)')
  t.equal(broken.body.toString(), v2)
})
