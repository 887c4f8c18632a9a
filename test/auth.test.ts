// test/auth.test.ts
// The sign-in surface of the newer Hermes front end, answered by the dashboard itself (issue 11
// item 4): /api/auth/me in the shape the sidebar knows, single-use WebSocket tickets tied to their
// user, and logout to the proxy's --logout-url. None of it ever reaches Hermes' own server.

import t from 'tap'
import { json, localPeer } from './helpers/peer.js'
import { PtyClient, withTimeout } from './helpers/pty-client.js'
import { startChatServer, TEST_TOKEN } from './helpers/server.js'

const peer = localPeer()

t.test('a token session: 401 {"detail":"Unauthorized"}, as Hermes answers on loopback', async (t) => {
  const { server } = await startChatServer(t)
  const r = await peer.http({ url: `${server.url}/api/auth/me`, headers: { 'X-Hermes-Session-Token': TEST_TOKEN } })
  t.equal(r.status, 401)
  t.same(json(r), { detail: 'Unauthorized' }, 'the body the front end hides its widget on')
  t.equal(r.headers['x-hermes-dashboard-source'], 'native')
  const page = await peer.http({ url: `${server.url}/` })
  t.match(page.body, /window\.__HERMES_AUTH_REQUIRED__=false;/, 'no SSO: the page uses the token for its sockets')
})

t.test('an SSO user: who they are, tickets for their sockets, logout to the proxy', async (t) => {
  const { server } = await startChatServer(t, {
    trust: 'proxy', trustedProxies: 'loopback', authHeader: 'Remote-User', groupsHeader: 'Remote-Groups', groupProfiles: 'family=alice', logoutUrl: 'https://auth.example.test/logout',
  }, { profiles: ['alice'] })
  const origin = `http://127.0.0.1:${server.port}`
  const alice = { 'Remote-User': 'alice@example.test', 'Remote-Groups': 'family', Origin: origin, 'Sec-Fetch-Site': 'same-origin' }
  const me = await peer.http({ url: `${server.url}/api/auth/me`, headers: alice })
  t.equal(me.status, 200)
  const body = json(me)
  t.match(body, { user_id: 'alice@example.test', email: 'alice@example.test', display_name: 'alice@example.test', provider: 'sso', expires_at: 0, profile: 'alice', logout_url: 'https://auth.example.test/logout' }, 'the AuthMeResponse shape, and more')
  const page = await peer.http({ url: `${server.url}/`, headers: alice })
  t.match(page.body, /window\.__HERMES_AUTH_REQUIRED__=true;/, 'an SSO user\'s page asks for tickets instead of putting the token in socket URLs')

  const ticket = async (headers: Record<string, string>): Promise<string> => String(json(await peer.http({ url: `${server.url}/api/auth/ws-ticket`, method: 'POST', headers })).ticket)
  const tk = await ticket(alice)
  t.ok(tk.length >= 32, 'a ticket')
  // The socket carries the identity (the proxy adds it) and the ticket, but no Origin: the ticket is the proof.
  const noOrigin = { 'Remote-User': 'alice@example.test', 'Remote-Groups': 'family' }
  const ok = new PtyClient(`ws://127.0.0.1:${server.port}/api/events?channel=t1&ticket=${tk}`, { headers: noOrigin })
  t.ok(await ok.opened, 'the ticket opens a socket without same-origin evidence')
  await ok.close()
  const again = new PtyClient(`ws://127.0.0.1:${server.port}/api/events?channel=t1&ticket=${tk}`, { headers: noOrigin })
  t.same(await withTimeout(again.closed, 5000, 'reuse'), { code: 4401, reason: 'token_invalid' }, 'used once only')
  const bobs = await ticket({ ...alice, 'Remote-User': 'bob' })
  const stolen = new PtyClient(`ws://127.0.0.1:${server.port}/api/events?channel=t1&ticket=${bobs}`, { headers: noOrigin })
  t.same(await withTimeout(stolen.closed, 5000, 'stolen'), { code: 4401, reason: 'token_invalid' }, 'another user\'s ticket is refused')
  const noIdentity = new PtyClient(`ws://127.0.0.1:${server.port}/api/events?channel=t1&ticket=${await ticket(alice)}`)
  t.equal((await withTimeout(noIdentity.closed, 5000, 'no identity')).code, 4401, 'a ticket without its user (straight to the port) is refused')
  const rest = await peer.http({ url: `${server.url}/api/actions/hermes-update/status?ticket=${await ticket(alice)}`, headers: noOrigin })
  t.equal(rest.status, 200, 'on REST a ticket is nothing (the identity alone serves a GET)')

  const out = await peer.http({ url: `${server.url}/auth/logout`, method: 'POST', headers: alice })
  t.equal(out.status, 302)
  t.equal(out.headers.location, 'https://auth.example.test/logout', 'to the proxy\'s logout')
  t.match(String(out.headers['set-cookie']), /Max-Age=0/, 'the dashboard\'s cookie goes')
  const login = await peer.http({ url: `${server.url}/login`, headers: alice })
  t.equal(login.status, 302, 'the front end\'s /login after logout')
  t.equal(login.headers.location, 'https://auth.example.test/logout')
})
