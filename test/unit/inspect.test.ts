// test/unit/inspect.test.ts
// inspect(request) → RequestView over hand-built requests: peer folding, forwarded headers from trusted
// proxies only, host/origin checks, base path, credential states, identity, and that no credential
// value ever lands in the view.

import t from 'tap'
import { cookieNameFor } from '../../src/trust/credentials.js'
import { inspect, isSafeMethod, type RequestView } from '../../src/trust/inspect.js'
import { INTERNAL, rawRequest, testSettings, TOKEN, type Req } from '../helpers/raw-request.js'

const COOKIE = cookieNameFor(TOKEN)
const settings = testSettings
const req = rawRequest

/** True when some 8-character piece of secret appears in text. */
function leaks (text: string, secret: string): boolean {
  for (let i = 0; i + 8 <= secret.length; i++) if (text.includes(secret.slice(i, i + 8))) return true
  return false
}

t.test('peer: folded, loopback, trusted proxy', async (t) => {
  const s = settings({ trustedProxies: ['10.0.0.0/8', '2001:db8::/32'] })
  const cases: ReadonlyArray<readonly [string, string, boolean, boolean]> = [
    ['127.0.0.1', '127.0.0.1', true, false],
    ['::ffff:127.0.0.1', '127.0.0.1', true, false],
    ['::1', '::1', true, false],
    ['::ffff:10.0.0.5', '10.0.0.5', false, true],
    ['10.0.0.5', '10.0.0.5', false, true],
    ['2001:DB8::5', '2001:db8::5', false, true],
    ['192.168.1.20', '192.168.1.20', false, false],
    ['', '', false, false],
  ]
  for (const [raw, peer, loop, trusted] of cases) {
    const v = inspect(req({ peer: raw }), s)
    t.equal(v.peer, peer, `${JSON.stringify(raw)}: peer`)
    t.equal(v.peerIsLoopback, loop, `${JSON.stringify(raw)}: loopback`)
    t.equal(v.peerIsTrustedProxy, trusted, `${JSON.stringify(raw)}: trusted proxy`)
    t.equal(v.client, peer, `${JSON.stringify(raw)}: client is the peer without forwarded headers`)
    t.equal(v.forwarded.chosen, -1)
  }
  t.equal(inspect(req({ peer: '127.0.0.1' }), settings({ trustedProxies: ['loopback'] })).peerIsTrustedProxy, true, 'loopback trusted only when listed')
})

t.test('forwarded headers: ignored from untrusted peers', async (t) => {
  const headers = [['X-Forwarded-For', '198.51.100.7'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Prefix', '/x'], ['Forwarded', 'for=198.51.100.8']] as const
  // Loopback is not trusted implicitly, even in loopback mode.
  for (const peer of ['127.0.0.1', '192.168.1.20']) {
    const v = inspect(req({ peer, headers }), settings())
    t.equal(v.forwarded.read, false, `${peer}: not read`)
    t.strictSame(v.forwarded.sent, ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix', 'forwarded'], `${peer}: all sent headers listed`)
    t.strictSame(v.forwarded.ignored, v.forwarded.sent, `${peer}: all ignored`)
    t.strictSame(v.forwarded.hops, [], `${peer}: no hops`)
    t.equal(v.client, peer, `${peer}: client is the peer`)
    t.equal(v.scheme, 'http', `${peer}: scheme not taken from the header`)
    t.equal(v.forwardedHost, null, `${peer}: no forwarded host`)
    t.equal(v.basePath, '', `${peer}: prefix not taken`)
    t.strictSame(v.problems, [], `${peer}: nothing wrong`)
  }
  // Junk from an untrusted peer is not even parsed.
  const junk = inspect(req({ peer: '192.168.1.20', headers: [['X-Forwarded-For', 'not-an-ip'], ['X-Forwarded-Prefix', '/../x']] }), settings())
  t.strictSame(junk.problems, [], 'junk from an untrusted peer is no problem')
})

t.test('forwarded headers: read from a trusted proxy', async (t) => {
  const s = settings({ mode: 'proxy', trustedProxies: ['10.0.0.0/8'] })
  const v = inspect(req({
    peer: '::ffff:10.0.0.5',
    headers: [['X-Forwarded-For', '127.0.0.1, 198.51.100.7'], ['X-Forwarded-For', '10.0.0.9'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'Dash.Example.Test'], ['X-Forwarded-Prefix', 'hermes/'], ['Forwarded', 'for=junk!']],
  }), s)
  t.equal(v.forwarded.read, true)
  t.strictSame(v.forwarded.hops, ['127.0.0.1', '198.51.100.7', '10.0.0.9'], 'lines merged')
  t.equal(v.forwarded.chosen, 1, 'right-most untrusted hop chosen')
  t.equal(v.client, '198.51.100.7')
  t.equal(v.scheme, 'https')
  t.equal(v.forwardedHost?.value?.name, 'dash.example.test')
  t.equal(v.forwardedHost?.allowed, true)
  t.equal(v.basePath, '/hermes', 'prefix normalised')
  t.equal(v.forwarded.prefix, 'hermes/')
  t.strictSame(v.forwarded.ignored, ['forwarded'], 'the other family is ignored')
  t.strictSame(v.forwarded.used, ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'])
  t.strictSame(v.problems, [])

  const rfc = inspect(req({
    peer: '10.0.0.5',
    headers: [['Forwarded', 'for=198.51.100.7, for="[2001:db8::1]:4711";proto=https;host=dash.example.test'], ['X-Forwarded-For', 'not-an-ip'], ['X-Forwarded-Proto', 'ftp'], ['X-Forwarded-Prefix', '/p']],
  }), settings({ trustedProxies: ['10.0.0.0/8'], forwarded: 'forwarded' }))
  t.strictSame(rfc.problems, [], 'X-Forwarded-* junk never parsed in forwarded mode')
  t.equal(rfc.client, '2001:db8::1')
  t.equal(rfc.scheme, 'https')
  t.equal(rfc.forwardedHost?.raw, 'dash.example.test')
  t.strictSame(rfc.forwarded.ignored, ['x-forwarded-for', 'x-forwarded-proto'], 'X-Forwarded-For/Proto ignored')
  t.equal(rfc.basePath, '/p', 'X-Forwarded-Prefix is read in both families')

  const all = inspect(req({ peer: '10.0.0.5', headers: [['X-Forwarded-For', '10.0.0.1, 10.0.0.2']] }), s)
  t.equal(all.client, '10.0.0.1', 'all hops trusted: the left-most')
  t.equal(all.forwarded.chosen, 0)

  const tls = inspect(req({ peer: '10.0.0.5', encrypted: true, headers: [['X-Forwarded-Proto', 'http']] }), s)
  t.equal(tls.scheme, 'http', 'a trusted proxy\'s proto wins over the socket')
  t.equal(inspect(req({ encrypted: true }), s).scheme, 'https', 'TLS socket without headers')
})

t.test('forwarded headers: problems', async (t) => {
  const s = settings({ trustedProxies: ['10.0.0.0/8'] })
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>]> = [
    ['junk X-Forwarded-For', [['X-Forwarded-For', '198.51.100.7, not-an-ip']]],
    ['empty X-Forwarded-For entry', [['X-Forwarded-For', '198.51.100.7,,10.0.0.1']]],
    ['bad X-Forwarded-Proto', [['X-Forwarded-Proto', 'gopher']]],
    ['unsafe X-Forwarded-Prefix', [['X-Forwarded-Prefix', '/a/../b']]],
    ['prefix with a quote', [['X-Forwarded-Prefix', '/a"b']]],
  ]
  for (const [name, headers] of cases) {
    const v = inspect(req({ peer: '10.0.0.5', headers }), s)
    t.equal(v.problems[0]?.code, 'HD_ERR_FORWARDED_HEADER_INVALID', `${name}: problem`)
    t.ok((v.problems[0]?.hint ?? '').length > 0, `${name}: hint`)
  }
  const bad = inspect(req({ peer: '10.0.0.5', headers: [['X-Forwarded-For', 'junk']] }), s)
  t.equal(bad.client, '10.0.0.5', 'client stays the peer when the chain is unreadable')
  t.match(bad.problems[0]?.hint ?? '', /10\.0\.0\.5/, 'hint names the proxy')
  t.match(bad.problems[0]?.detail ?? '', /X-Forwarded-For/, 'detail names the header')
  const badPrefix = inspect(req({ peer: '10.0.0.5', headers: [['X-Forwarded-Prefix', '//evil']] }), settings({ trustedProxies: ['10.0.0.0/8'], publicBasePath: '/pub' }))
  t.equal(badPrefix.basePath, '/pub', 'a refused prefix leaves the public base path')
})

t.test('host, forwarded host, origin', async (t) => {
  const s = settings({ trustedProxies: ['10.0.0.0/8'] })
  const none = inspect(req({ host: null }), s)
  t.equal(none.host, null, 'no Host header')
  const two = inspect(req({ headers: [['host', '127.0.0.1:9119']] }), s)
  t.equal(two.problems[0]?.code, 'HD_ERR_HOST_NOT_ALLOWED', 'two Host lines')
  t.match(two.problems[0]?.detail ?? '', /more than one Host/)
  const rebinding = inspect(req({ host: null, headers: [['Host', 'rebind.attacker.test:9119']] }), s)
  t.equal(rebinding.host?.allowed, false, 'unknown name')
  t.equal(rebinding.host?.value?.name, 'rebind.attacker.test')
  const malformed = inspect(req({ host: null, headers: [['Host', '::1']] }), s)
  t.strictSame(malformed.host, { raw: '::1', value: null, allowed: false }, 'unparseable Host')
  t.equal(inspect(req({ host: null, headers: [['Host', 'DASH.example.test.']] }), s).host?.allowed, true, 'configured name')

  const origins: ReadonlyArray<readonly [string | null, string, string, boolean, boolean]> = [
    // origin, host, kind, allowed, sameOrigin
    [null, '127.0.0.1:9119', 'absent', false, false],
    ['http://127.0.0.1:9119', '127.0.0.1:9119', 'web', true, true],
    ['http://localhost:9119', '127.0.0.1:9119', 'web', true, false],
    // a plain-HTTP request (no TLS, no trusted X-Forwarded-Proto) is not the https origin
    ['https://dash.example.test', 'dash.example.test:443', 'web', true, false],
    ['http://dash.example.test', 'dash.example.test', 'web', true, true],
    ['https://evil.example', '127.0.0.1:9119', 'web', false, false],
    ['null', '127.0.0.1:9119', 'non-web', false, false],
    ['file://', '127.0.0.1:9119', 'non-web', false, false],
    ['app://hermes', '127.0.0.1:9119', 'non-web', false, false],
    ['junk', '127.0.0.1:9119', 'invalid', false, false],
  ]
  for (const [origin, host, kind, allowed, same] of origins) {
    const headers: Array<readonly [string, string]> = [['Host', host]]
    if (origin !== null) headers.push(['Origin', origin])
    const v = inspect(req({ host: null, headers }), s)
    t.equal(v.origin.kind, kind, `${origin}: kind`)
    t.equal(v.origin.allowed, allowed, `${origin}: allowed`)
    t.equal(v.origin.sameOrigin, same, `${origin}: same origin`)
    t.equal(v.origin.raw, origin, `${origin}: raw`)
  }

  // Behind a trusted proxy the forwarded host is the one the browser saw.
  const proxied = inspect(req({ peer: '10.0.0.5', host: null, headers: [['Host', '10.0.0.1:9119'], ['X-Forwarded-Host', 'dash.example.test'], ['X-Forwarded-Proto', 'https'], ['Origin', 'https://dash.example.test']] }), s)
  t.equal(proxied.origin.sameOrigin, true, 'same origin as the forwarded host and scheme')
  // Issue 10 item 3: the plain-HTTP origin of an HTTPS dashboard is another origin.
  const downgraded = inspect(req({ peer: '10.0.0.5', host: null, headers: [['Host', '10.0.0.1:9119'], ['X-Forwarded-Host', 'dash.example.test'], ['X-Forwarded-Proto', 'https'], ['Origin', 'http://dash.example.test']] }), s)
  t.equal(downgraded.origin.sameOrigin, false, 'http:// origin of an https dashboard')
  t.equal(downgraded.origin.allowed, true, 'its host is still an allowed name')
  const tls = inspect(req({ encrypted: true, host: null, headers: [['Host', 'dash.example.test'], ['Origin', 'http://dash.example.test']] }), s)
  t.equal(tls.origin.sameOrigin, false, 'http:// origin on a TLS connection')
  const fwdBad = inspect(req({ peer: '10.0.0.5', headers: [['X-Forwarded-Host', 'rebind.attacker.test']] }), s)
  t.equal(fwdBad.forwardedHost?.allowed, false, 'forwarded host not allowed')
  t.equal(fwdBad.host?.allowed, true, 'Host still allowed')

  const pre = inspect(req({ method: 'OPTIONS', headers: [['Origin', 'https://evil.example'], ['Access-Control-Request-Method', 'POST']] }), s)
  t.equal(pre.preflight, true, 'OPTIONS with Access-Control-Request-Method is a preflight')
  t.equal(inspect(req({ method: 'OPTIONS' }), s).preflight, false, 'plain OPTIONS is not')
  t.equal(inspect(req({ method: 'GET', headers: [['Access-Control-Request-Method', 'POST']] }), s).preflight, false, 'GET is not')
  t.equal(inspect(req({ headers: [['Sec-Fetch-Site', 'same-origin']] }), s).fetchSite, 'same-origin')
})

t.test('base path, path, profile', async (t) => {
  t.equal(inspect(req(), settings({ publicBasePath: '/pub' })).basePath, '/pub', 'public base path')
  t.equal(inspect(req(), settings({ publicBasePath: '/pub', mountPrefix: '/mnt' })).basePath, '/pub/mnt', 'mount prefix joined')
  t.equal(inspect(req({ peer: '10.0.0.5', headers: [['X-Forwarded-Prefix', '/fwd']] }), settings({ publicBasePath: '/pub', trustedProxies: ['10.0.0.0/8'] })).basePath, '/fwd', 'a trusted prefix replaces the public path')
  const v = inspect(req({ url: '/api/x?token=abc&profile=alice' }), settings())
  t.equal(v.path, '/api/x', 'query stripped from path')
  t.equal(v.profile, 'alice')
  for (const p of ['', 'current']) t.equal(inspect(req({ url: `/api/x?profile=${p}` }), settings()).profile, null, `profile=${p} names none`)
  t.equal(inspect(req({ url: '/api/x?profile=default' }), settings()).profile, 'default', 'profile=default names the default profile')
  t.equal(inspect(req({ url: '/api/x' }), settings()).profile, null)
  t.equal(isSafeMethod('GET'), true)
  t.equal(isSafeMethod('HEAD'), true)
  t.equal(isSafeMethod('OPTIONS'), true)
  t.equal(isSafeMethod('POST'), false)
  t.equal(isSafeMethod('get'), false, 'methods are case-sensitive')
})

t.test('credential states', async (t) => {
  const s = settings()
  const cases: ReadonlyArray<{ name: string, r: Req, want: Partial<Record<'header' | 'bearer' | 'query' | 'internal' | 'cookie', string>>, ignored?: string | null }> = [
    { name: 'nothing', r: {}, want: { header: 'absent', bearer: 'absent', query: 'absent', internal: 'absent', cookie: 'absent' } },
    { name: 'header', r: { headers: [['X-Hermes-Session-Token', TOKEN]] }, want: { header: 'valid' } },
    { name: 'wrong header', r: { headers: [['X-Hermes-Session-Token', 'nope']] }, want: { header: 'invalid' } },
    { name: 'empty header', r: { headers: [['X-Hermes-Session-Token', '']] }, want: { header: 'absent' } },
    { name: 'over-long header', r: { headers: [['X-Hermes-Session-Token', 'x'.repeat(600)]] }, want: { header: 'invalid' } },
    { name: 'bearer', r: { headers: [['Authorization', `Bearer ${TOKEN}`]] }, want: { bearer: 'valid' }, ignored: null },
    { name: 'wrong bearer', r: { headers: [['Authorization', 'bearer nope']] }, want: { bearer: 'invalid' } },
    { name: 'basic is ignored', r: { headers: [['Authorization', 'Basic dXNlcjpwYXNz']] }, want: { bearer: 'absent' }, ignored: 'Basic' },
    { name: 'query', r: { url: `/api/x?token=${TOKEN}` }, want: { query: 'valid' } },
    { name: 'wrong query', r: { url: '/api/x?token=nope' }, want: { query: 'invalid' } },
    { name: 'internal, for the channel it was granted for', r: { url: `/api/x?channel=chat-1&internal=${INTERNAL}` }, want: { internal: 'valid' } },
    { name: 'internal, for another channel', r: { url: `/api/x?channel=chat-2&internal=${INTERNAL}` }, want: { internal: 'invalid' } },
    { name: 'internal, no channel', r: { url: `/api/x?internal=${INTERNAL}` }, want: { internal: 'invalid' } },
    { name: 'token is not the internal credential', r: { url: `/api/x?internal=${TOKEN}` }, want: { internal: 'invalid' } },
    { name: 'cookie', r: { headers: [['Cookie', `a=1; ${COOKIE}=${TOKEN}`]] }, want: { cookie: 'valid' } },
    { name: 'cookie of an earlier run', r: { headers: [['Cookie', `${COOKIE}=old-token-value-here`]] }, want: { cookie: 'invalid' } },
    { name: 'cookie header without ours', r: { headers: [['Cookie', `${cookieNameFor('other')}=${TOKEN}`]] }, want: { cookie: 'absent' } },
  ]
  for (const c of cases) {
    const v = inspect(req(c.r), s)
    for (const [k, state] of Object.entries(c.want)) t.equal(v.credentials[k as keyof typeof c.want], state, `${c.name}: ${k} ${state}`)
    if (c.ignored !== undefined) t.equal(v.credentials.ignoredAuthorization, c.ignored, `${c.name}: ignored scheme`)
  }
})

t.test('identity', async (t) => {
  const identity = { userHeader: 'remote-user', groupsHeader: 'remote-groups', separators: ',|', groupProfiles: null }
  const s = settings({ mode: 'proxy', trustedProxies: ['10.0.0.0/8'], identity })
  const ok = inspect(req({ peer: '10.0.0.5', headers: [['Remote-User', 'alice'], ['Remote-Groups', 'a|b']] }), s)
  t.strictSame(ok.identity, { user: 'alice', groups: ['a', 'b'] })
  t.strictSame(ok.problems, [])
  const spoofed = inspect(req({ peer: '192.168.1.20', headers: [['Remote-User', 'alice']] }), s)
  t.equal(spoofed.identity, null)
  t.equal(spoofed.problems[0]?.code, 'HD_ERR_IDENTITY_HEADER_SPOOFED')
  t.match(spoofed.problems[0]?.hint ?? '', /remote-user/)
  const alias = inspect(req({ peer: '10.0.0.5', headers: [['Remote_User', 'alice']] }), s)
  t.equal(alias.problems[0]?.code, 'HD_ERR_IDENTITY_HEADER_SPOOFED', 'alias from the trusted proxy')
  t.equal(inspect(req({ peer: '10.0.0.5', headers: [['Remote-User', 'alice']] }), settings({ trustedProxies: ['10.0.0.0/8'] })).identity, null, 'not read when not configured')
})

t.test('no credential value ever appears in the view', async (t) => {
  const s = settings({ trustedProxies: ['10.0.0.0/8'] })
  const cases: ReadonlyArray<readonly [string, Req]> = [
    ['header', { headers: [['X-Hermes-Session-Token', TOKEN]] }],
    ['bearer', { headers: [['Authorization', `Bearer ${TOKEN}`]] }],
    ['query', { url: `/api/events?channel=x&token=${TOKEN}` }],
    ['query on an upgrade', { url: `/api/events?token=${TOKEN}`, upgrade: true }],
    ['cookie', { headers: [['Cookie', `${COOKIE}=${TOKEN}`]] }],
    ['quoted cookie', { headers: [['Cookie', `${COOKIE}="${TOKEN}"`]] }],
    ['internal', { url: `/api/pty?internal=${INTERNAL}`, upgrade: true }],
    ['everything at once, through a proxy', { peer: '10.0.0.5', url: `/x?token=${TOKEN}&internal=${INTERNAL}`, headers: [['X-Hermes-Session-Token', TOKEN], ['Authorization', `Bearer ${TOKEN}`], ['Cookie', `${COOKIE}=${TOKEN}`], ['X-Forwarded-For', '198.51.100.7']] }],
    ['bearer with extra words', { headers: [['Authorization', `Bearer ${TOKEN} extra`]] }],
    // Mistakes clients make: the credential is still a credential, and must not be echoed.
    ['Authorization with the bare token', { headers: [['Authorization', TOKEN]] }],
    ['Authorization: Bearer<TAB>token', { headers: [['Authorization', `Bearer\t${TOKEN}`]] }],
  ]
  for (const [name, r] of cases) {
    const json = JSON.stringify(inspect(req(r), s) satisfies RequestView)
    t.notOk(json.includes(TOKEN), `${name}: token not in the view`)
    t.notOk(leaks(json, TOKEN), `${name}: no piece of the token in the view`)
    t.notOk(leaks(json, INTERNAL), `${name}: no piece of the internal credential in the view`)
  }
})
