// test/explain.test.ts
// /api/trust/explain tells how the server saw this very request, to whom, and never a credential.

import t from 'tap'
import { cookieNameFor } from '../src/trust/credentials.js'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { startServer, TEST_TOKEN } from './helpers/server.js'

const peer = localPeer()

interface Explain {
  mode: string
  peer: { address: string, loopback: boolean, trusted_proxy: boolean }
  forwarded: { sent: string[], read: boolean, ignored: string[], hops: string[], chosen_hop: number }
  client: string
  scheme?: string
  request: { scheme: string }
  credentials: Record<string, string | null>
  verdicts: Record<string, { allow: boolean, reason?: string, close_code?: number }>
  summary: string[]
}

t.test('the forwarded chain, the chosen client, and the verdicts per transport', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir, host: '::', trust: 'loopback', trustedProxies: 'loopback,10.0.0.0/8' })
  const headers = { 'X-Hermes-Session-Token': TEST_TOKEN, 'X-Forwarded-For': ['198.51.100.7', '10.1.1.1'], 'X-Forwarded-Proto': 'https' }
  const r = await peer.http({ url: `http://127.0.0.1:${s.port}/api/trust/explain`, headers })
  t.equal(r.status, 200)
  t.match(r.headers['cache-control'], /no-store/)
  const e = json<Explain>(r)
  t.equal(e.mode, 'loopback')
  t.same(e.peer, { address: '127.0.0.1', loopback: true, trusted_proxy: true }, 'IPv4-mapped peer folded to 127.0.0.1')
  t.same(e.forwarded.hops, ['198.51.100.7', '10.1.1.1'], 'both X-Forwarded-For lines, in order')
  t.equal(e.forwarded.chosen_hop, 0, 'the trusted 10.1.1.1 hop is skipped')
  t.equal(e.client, '198.51.100.7')
  t.equal(e.request.scheme, 'https', 'scheme from the trusted proxy')
  t.same(e.verdicts.protected_rest, { allow: true, via: 'token' })
  t.same(e.verdicts.websocket, { allow: true, via: 'token' }, 'the header counts on an upgrade too (non-browser clients can send it)')
  const cookieOnly = json<Explain>(await peer.http({ url: `http://127.0.0.1:${s.port}/api/trust/explain`, headers: { Cookie: `${cookieNameFor(TEST_TOKEN)}=${TEST_TOKEN}` } }))
  t.same(cookieOnly.verdicts.protected_rest, { allow: true, via: 'cookie' }, 'a GET with the cookie passes')
  t.equal(cookieOnly.verdicts.websocket?.reason, 'same_origin_required', 'a WebSocket with the cookie alone needs a matching Origin')
  t.equal(cookieOnly.verdicts.websocket?.close_code, 4403)
  t.ok(e.summary.some((line) => line.includes('the client is 198.51.100.7')), 'plain words for people')
})

t.test('never a credential value, whatever the place it came in', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  const r = await peer.http({
    url: `${s.url}/api/trust/explain?token=${TEST_TOKEN}&internal=${TEST_TOKEN}`,
    headers: { 'X-Hermes-Session-Token': TEST_TOKEN, Authorization: TEST_TOKEN, Cookie: `${cookieNameFor(TEST_TOKEN)}=${TEST_TOKEN}` },
  })
  t.equal(r.status, 200)
  t.notOk(r.body.includes(TEST_TOKEN), 'the token appears nowhere')
  t.notOk(r.body.includes(TEST_TOKEN.slice(0, 12)), 'not even a prefix of it')
  const e = json<Explain>(r)
  t.equal(e.credentials.header, 'valid')
  t.equal(e.credentials.cookie, 'valid')
  t.equal(e.credentials.ignoredAuthorization, '(malformed)', 'an Authorization without a scheme is named, not shown')
  const basic = json<Explain>(await peer.http({ url: `${s.url}/api/trust/explain`, headers: { Authorization: 'Basic dXNlcjpwYXNz' } }))
  t.equal(basic.credentials.ignoredAuthorization, 'Basic')
  t.notOk(JSON.stringify(basic).includes('dXNlcjpwYXNz'))
})

t.test('who may ask', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir, trust: 'token' })
  const direct = await peer.http({ url: `${s.url}/api/trust/explain` })
  t.equal(direct.status, 200, 'someone on this host asking directly, without a token')
  t.equal(json<Explain>(direct).verdicts.this_request?.allow, true)
  const viaProxy = await peer.http({ url: `${s.url}/api/trust/explain`, headers: { 'X-Forwarded-For': '198.51.100.7' } })
  t.equal(viaProxy.status, 401, 'through a proxy (forwarded headers present), the token is needed')
  t.equal(json(viaProxy).error, 'token_missing')
  const rebind = await peer.http({ url: `${s.url}/api/trust/explain`, headers: { Host: 'rebind.attacker.test' } })
  t.equal(rebind.status, 403, 'the Host check holds here too')
  const withToken = await peer.http({ url: `${s.url}/api/trust/explain`, headers: { 'X-Forwarded-For': '198.51.100.7', 'X-Hermes-Session-Token': TEST_TOKEN } })
  t.equal(withToken.status, 200)
  const e = json<Explain>(withToken)
  t.equal(e.forwarded.read, false, 'this host is not a trusted proxy here')
  t.same(e.forwarded.ignored, ['x-forwarded-for'])
  t.ok(e.summary.some((line) => line.includes('add it to --trusted-proxies')), 'the summary says what would change it')
})
