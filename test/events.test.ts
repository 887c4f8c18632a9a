// test/events.test.ts
// /api/pub → /api/events over real sockets: verbatim and in order to every subscriber of a channel,
// nothing to other channels, channels removed with their last subscriber, a slow subscriber dropped
// with 1013 (not buffered without bound), and bad publishers closed with a code.

import t from 'tap'
import { WebSocket } from 'ws'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer, type WsConn } from './helpers/peer.js'
import { startServer, TEST_TOKEN, type Running } from './helpers/server.js'

const peer = localPeer()

function sub (s: Running, channel: string): WsConn {
  return peer.ws({ url: `ws://127.0.0.1:${s.port}/api/events?channel=${encodeURIComponent(channel)}&token=${TEST_TOKEN}` })
}
function pub (s: Running, channel: string): WsConn {
  return peer.ws({ url: `ws://127.0.0.1:${s.port}/api/pub?channel=${encodeURIComponent(channel)}&token=${TEST_TOKEN}` })
}

async function until (what: string, check: () => boolean, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('fan-out: verbatim, in order, per channel', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  const subs = [sub(s, 'chat-a'), sub(s, 'chat-a'), sub(s, 'chat-a')]
  const other = sub(s, 'chat-b')
  for (const c of [...subs, other]) t.equal((await c.opened()).event, 'open')
  const p = pub(s, 'chat-a')
  t.equal((await p.opened()).event, 'open')

  const frames = Array.from({ length: 100 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'message.delta', session_id: 's1', payload: { text: `chunk ${i} ✓ \u2028` } } }))
  frames.push('not json at all, still relayed as is')
  for (const f of frames) p.send(f)
  for (const [i, c] of subs.entries()) {
    const got: string[] = []
    for (let k = 0; k < frames.length; k++) {
      const e = await c.message()
      if (e.event !== 'message') break
      got.push(e.data ?? '<binary>')
    }
    t.same(got, frames, `subscriber ${i} got every frame, verbatim and in order`)
  }

  // The other channel saw none of it: the first thing it receives is its own marker.
  const q = pub(s, 'chat-b')
  t.equal((await q.opened()).event, 'open')
  q.send('marker-b')
  const first = await other.message()
  t.same(first, { event: 'message', data: 'marker-b' }, 'channels are isolated')

  t.equal(s.app.hermes.hub.subscriberCount('chat-a'), 3)
  for (const c of subs) c.close()
  await until('chat-a removed', () => s.app.hermes.hub.subscriberCount('chat-a') === 0)
  t.equal(s.app.hermes.hub.channelCount(), 1, 'a channel goes with its last subscriber')
  other.close()
  await until('all channels removed', () => s.app.hermes.hub.channelCount() === 0)
  p.close()
  q.close()
})

t.test('bad channels and bad publisher frames get close codes; the server keeps serving', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  for (const path of ['/api/events', '/api/pub']) {
    for (const channel of ['', 'bad channel', 'a/b', 'x'.repeat(129), '%00']) {
      const c = peer.ws({ url: `ws://127.0.0.1:${s.port}${path}?token=${TEST_TOKEN}${channel === '' ? '' : `&channel=${encodeURIComponent(channel)}`}` })
      t.same(await c.closed(), { code: 4400, reason: 'channel_invalid' }, `${path} channel ${JSON.stringify(channel.slice(0, 12))}`)
    }
  }

  const binary = new WebSocket(`ws://127.0.0.1:${s.port}/api/pub?channel=c&token=${TEST_TOKEN}`)
  await new Promise((resolve) => binary.once('open', resolve))
  binary.send(Buffer.from([1, 2, 3]))
  const [code, reason] = await new Promise<[number, string]>((resolve) => binary.once('close', (c: number, r: Buffer) => resolve([c, r.toString()])))
  t.same([code, reason], [1003, 'frame_unsupported'], 'binary frames are refused on /api/pub')

  const listener = sub(s, 'big')
  t.equal((await listener.opened()).event, 'open')
  const big = pub(s, 'big')
  t.equal((await big.opened()).event, 'open')
  big.send('x'.repeat(1024 * 1024 + 1))
  t.same(await big.closed(), { code: 1009, reason: 'frame_too_large' }, 'an event over 1 MiB closes the publisher')

  const huge = new WebSocket(`ws://127.0.0.1:${s.port}/api/pub?channel=big&token=${TEST_TOKEN}`)
  await new Promise((resolve) => huge.once('open', resolve))
  huge.send(Buffer.alloc(17 * 1024 * 1024, 0x61), { binary: false })
  const hugeClose = await new Promise<number>((resolve) => huge.once('close', (c: number) => resolve(c)))
  t.equal(hugeClose, 1009, 'a message over maxPayload (16 MiB) is refused by the WebSocket layer')

  // The listener got nothing from either, and the server still answers.
  const ok = pub(s, 'big')
  t.equal((await ok.opened()).event, 'open')
  ok.send('after')
  t.same(await listener.message(), { event: 'message', data: 'after' }, 'still serving, nothing oversized was relayed')
  listener.close()
  ok.close()
})

t.test('a subscriber that stops reading is dropped with 1013; others get everything', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  const channel = 'slow'
  const slow = new WebSocket(`ws://127.0.0.1:${s.port}/api/events?channel=${channel}&token=${TEST_TOKEN}`)
  await new Promise((resolve) => slow.once('open', resolve))
  slow.pause() // stops reading from the socket: the server's send buffer for it can only grow
  const fast = sub(s, channel)
  t.equal((await fast.opened()).event, 'open')
  const p = pub(s, channel)
  t.equal((await p.opened()).event, 'open')

  const frame = 'y'.repeat(64 * 1024)
  const total = 400 // 25 MiB: more than the kernel buffers plus the server's 4 MiB allowance
  let received = 0
  let inOrder = true
  const reading = (async () => {
    for (let i = 0; i < total; i++) {
      const e = await fast.message(20_000)
      if (e.event !== 'message') break
      if (e.data !== `${i}:${frame}`) inOrder = false
      received++
    }
  })()
  for (let i = 0; i < total; i++) p.send(`${i}:${frame}`)
  await reading
  t.equal(received, total, 'the reading subscriber got every frame')
  t.ok(inOrder, 'in order')
  await until('slow subscriber removed', () => s.app.hermes.hub.subscriberCount(channel) === 1, 500)
  t.pass('the slow subscriber was dropped from the channel')

  const closed = new Promise<number>((resolve) => slow.once('close', (c: number) => resolve(c)))
  slow.resume()
  t.equal(await closed, 1013, 'once it reads again, it finds the close: 1013 subscriber_too_slow')
  const heapMiB = process.memoryUsage().rss / 1048576
  t.ok(heapMiB < 1024, `server process RSS stayed bounded (${heapMiB.toFixed(0)} MiB)`)
  fast.close()
  p.close()
})

t.test('a plain HTTP request to a WebSocket route: 426 upgrade_required, with the proxy hint, after the trust check', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  for (const path of ['/api/pty', '/api/ws', '/api/events?channel=a', '/api/pub?channel=a']) {
    const r = await peer.http({ url: `${s.url}${path}`, headers: { 'X-Hermes-Session-Token': TEST_TOKEN } })
    t.equal(r.status, 426, `${path}: 426`)
    t.equal(r.headers.upgrade, 'websocket', 'with Upgrade: websocket')
    const body = json(r) as { error: string, detail: string, hint: string }
    t.equal(body.error, 'upgrade_required')
    t.match(body.detail, /WebSocket endpoint/)
    t.match(body.hint, /proxy_set_header Upgrade \$http_upgrade/, 'and what to change in the proxy')
    const anonymous = await peer.http({ url: `${s.url}${path}` })
    t.same([anonymous.status, (json(anonymous) as { error: string }).error], [401, 'token_missing'], `${path} without a credential: refused first, as every route`)
    const queryOnly = await peer.http({ url: `${s.url}${path}${path.includes('?') ? '&' : '?'}token=${TEST_TOKEN}` })
    // What a browser's WebSocket sends, with the upgrade lost on the way: the route takes ?token= and
    // answers with the reason, which is all there is to give on a plain request.
    t.equal(queryOnly.status, 426, `${path}: the WebSocket's own ?token= gets the reason too`)
  }
  const c = sub(s, 'after-426')
  t.equal((await c.opened()).event, 'open', 'the real upgrade still works')
  c.close()
})
