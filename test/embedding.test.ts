// test/embedding.test.ts
// The dashboard as a Fastify plugin under a prefix inside another app: its trust hook guards its own
// routes (REST and WebSocket), the base path includes the prefix, and the host app's routes are its own.

import t from 'tap'
import Fastify from 'fastify'
import { dashboardPlugin } from '../src/app.js'
import { loadConfig } from '../src/config/load.js'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { TEST_TOKEN } from './helpers/server.js'

const peer = localPeer()

t.test('registered under /hermes in another Fastify app', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const host = Fastify()
  host.get('/other', async () => ({ mine: true }))
  const config = loadConfig({ options: { hermesHome: home.dir, token: TEST_TOKEN, logLevel: 'silent' }, env: {} })
  await host.register(dashboardPlugin, { prefix: '/hermes', config })
  await host.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => host.close())
  const address = host.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const base = `http://127.0.0.1:${port}`

  t.same(json(await peer.http({ url: `${base}/other` })), { mine: true }, 'the host app\'s routes are untouched')
  t.equal((await peer.http({ url: `${base}/hermes/api/status` })).status, 200)
  const refused = await peer.http({ url: `${base}/hermes/api/actions/hermes-update/status` })
  t.equal(refused.status, 401, 'the dashboard\'s routes are guarded')
  t.equal(json(refused).error, 'token_missing')
  t.equal((await peer.http({ url: `${base}/hermes/api/actions/hermes-update/status`, headers: { 'X-Hermes-Session-Token': TEST_TOKEN } })).status, 200)

  const page = await peer.http({ url: `${base}/hermes/` })
  t.equal(page.status, 200)
  t.ok(page.body.includes('window.__HERMES_BASE_PATH__="/hermes";'), 'the base path includes the prefix')
  t.ok(page.body.includes('src="/hermes/assets/app.js"'), 'asset URLs too')
  t.match(String(page.headers['set-cookie']), /Path=\/hermes/)
  t.equal((await peer.http({ url: `${base}/hermes/assets/app.js` })).status, 200)

  const denied = peer.ws({ url: `ws://127.0.0.1:${port}/hermes/api/events?channel=c` })
  t.same(await denied.closed(), { code: 4401, reason: 'token_missing' }, 'WebSockets go through the same hook')
  const sub = peer.ws({ url: `ws://127.0.0.1:${port}/hermes/api/events?channel=c&token=${TEST_TOKEN}` })
  t.equal((await sub.opened()).event, 'open')
  const pub = peer.ws({ url: `ws://127.0.0.1:${port}/hermes/api/pub?channel=c&token=${TEST_TOKEN}` })
  t.equal((await pub.opened()).event, 'open')
  pub.send('hello')
  t.same(await sub.message(), { event: 'message', data: 'hello' })
  sub.close()
  pub.close()
})
