// test/hardening-resources.test.ts
// What an unauthenticated (items 7, 8) or authenticated (items 9, 10) client could make the server
// hold, measured on the real command line in its own process: its resident memory is read from
// /proc before and after each flood, and every wait is bounded. The figures are printed as comments
// (the note quotes them); the assertions are the bounds.

import t from 'tap'
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { WebSocket } from 'ws'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { PtyClient, withTimeout } from './helpers/pty-client.js'
import { frame, rawWebSocket } from './helpers/raw-ws.js'
import { chatFixture, gatewayFixture, startCli, TEST_TOKEN, type CliRun } from './helpers/server.js'

const MiB = 1024 * 1024

function rssOf (pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
  return kb * 1024
}

async function dashboard (t: Parameters<typeof startCli>[0], args: readonly string[] = []): Promise<CliRun & { base: string }> {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const cli = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir, '--log-level', 'warn',
    '--chat-command', chatFixture('resources'), '--gateway-command', gatewayFixture('resources'), ...args], { HERMES_DASHBOARD_SESSION_TOKEN: TEST_TOKEN },
    // tap instruments the programs a test starts (NODE_OPTIONS); the memory measured must be the
    // dashboard's own, so it runs as users run it (env execs node: the pid stays the dashboard's).
    ['env', '-u', 'NODE_OPTIONS'])
  return { ...cli, base: `127.0.0.1:${cli.port}` }
}

/** Lets the server settle, then its RSS (a few requests first, so lazy code is loaded either way). */
async function settledRss (cli: CliRun, base: string): Promise<number> {
  for (let i = 0; i < 20; i++) await localPeer().http({ url: `http://${base}/api/status` })
  await new Promise((resolve) => setTimeout(resolve, 200))
  return rssOf(cli.child.pid as number)
}

t.test('item 7: a refused WebSocket reads nothing more and is gone within about a second', async (t) => {
  const cli = await dashboard(t)
  const before = await settledRss(cli, cli.base)
  // One 15 MiB message, masked as a client must; every socket sends the same bytes.
  const big = frame(0x2, Buffer.alloc(15 * MiB, 0x5a))
  const started = Date.now()
  const results = await Promise.all(Array.from({ length: 12 }, async () => {
    const ws = await rawWebSocket(cli.port, '/api/events?channel=flood') // no token: refused
    const closing = ws.closeCode(10_000)
    const ended = new Promise<number>((resolve) => ws.socket.once('close', () => resolve(Date.now())))
    ws.socket.on('error', () => {})
    ws.write(big)
    return { code: await closing, endedAt: await withTimeout(ended, 10_000, 'server ends the refused socket') }
  }))
  const after = rssOf(cli.child.pid as number)
  const growth = after - before
  t.comment(`12 refused sockets × 15 MiB sent: RSS ${(before / MiB).toFixed(1)} → ${(after / MiB).toFixed(1)} MiB (+${(growth / MiB).toFixed(1)} MiB)`)
  for (const r of results) t.equal(r.code, 4401, 'the refusal\'s close code reached the client')
  const slowest = Math.max(...results.map((r) => r.endedAt)) - started
  t.comment(`the slowest refused socket was destroyed ${slowest} ms after the flood began`)
  t.ok(slowest < 5000, `every refused socket destroyed by the server within seconds (${slowest} ms), not after ws's 30 s close timeout`)
  t.ok(growth < 24 * MiB, `memory bounded: +${(growth / MiB).toFixed(1)} MiB for 180 MiB sent`)
  const still = await localPeer().http({ url: `http://${cli.base}/api/status` })
  t.equal(still.status, 200, 'still serving')
})

t.test('item 8: connections that never send a request are closed; WebSockets are not', async (t) => {
  const cli = await dashboard(t, ['--connection-timeout', '1'])
  const ws = new WebSocket(`ws://${cli.base}/api/events?channel=idle&token=${TEST_TOKEN}`)
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const idle: Socket[] = []
  const closed: Array<Promise<void>> = []
  for (let i = 0; i < 300; i++) {
    const s = connect(cli.port, '127.0.0.1')
    s.on('error', () => {})
    idle.push(s)
    closed.push(new Promise((resolve) => s.once('close', () => resolve())))
  }
  // After a request the socket is idle again: it goes too (keep-alive beyond the timeout).
  const kept = connect(cli.port, '127.0.0.1')
  kept.on('error', () => {})
  kept.resume() // read the answer, so that the end after it is seen
  kept.write(`GET /api/status HTTP/1.1\r\nHost: ${cli.base}\r\n\r\n`)
  closed.push(new Promise((resolve) => kept.once('close', () => resolve())))
  t.ok(await withTimeout(Promise.all(closed).then(() => true), 10_000, 'idle sockets closed'), 'all 301 idle connections were closed by the server')
  t.equal(ws.readyState, WebSocket.OPEN, 'the WebSocket, idle just as long, is open')
  const pub = new WebSocket(`ws://${cli.base}/api/pub?channel=idle&token=${TEST_TOKEN}`)
  await new Promise((resolve, reject) => { pub.once('open', resolve); pub.once('error', reject) })
  const got = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())))
  pub.send('{"jsonrpc":"2.0","method":"event","params":{"type":"ping"}}')
  t.match(await withTimeout(got, 5000, 'event'), /ping/, 'and it still carries events')
  pub.close()
  ws.close()
})

t.test('item 9: typed input a chat does not read is held back by TCP, not by the server', async (t) => {
  const cli = await dashboard(t)
  const chat = new PtyClient(`ws://${cli.base}/api/pty?channel=deaf&token=${TEST_TOKEN}`)
  await chat.waitFor('hermes> ')
  chat.type('/deaf')
  await chat.waitFor('DEAF')
  const before = rssOf(cli.child.pid as number)
  const chunk = Buffer.alloc(64 * 1024, 0x61)
  const total = 96 * MiB
  for (let sent = 0; sent < total; sent += chunk.length) chat.ws.send(chunk, { binary: true })
  // Wait (bounded) until the server has stopped taking input: the client's queue no longer shrinks.
  let last = -1
  let stable = 0
  for (let i = 0; i < 300 && stable < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const now = chat.ws.bufferedAmount
    stable = now === last ? stable + 1 : 0
    last = now
  }
  const after = rssOf(cli.child.pid as number)
  const growth = after - before
  t.comment(`96 MiB typed into a chat that reads nothing: RSS ${(before / MiB).toFixed(1)} → ${(after / MiB).toFixed(1)} MiB (+${(growth / MiB).toFixed(1)} MiB); ${(last / MiB).toFixed(1)} MiB still queued in the client`)
  t.ok(stable >= 10, 'the server stopped reading')
  t.ok(last > 64 * MiB, 'most of the input waits in the client')
  t.ok(growth < 32 * MiB, `the server grew by ${(growth / MiB).toFixed(1)} MiB, not by what was typed`)
  chat.ws.terminate()
  const still = await localPeer().http({ url: `http://${cli.base}/api/status` })
  t.equal(still.status, 200, 'still serving')
})

t.test('item 10: caps on per-tab chats and gateways; early frames are kept, not dropped', async (t) => {
  const cli = await dashboard(t, ['--max-chats', '2', '--max-gateways', '2'])
  const chatUrl = `ws://${cli.base}/api/pty?token=${TEST_TOKEN}`
  const a = new PtyClient(chatUrl)
  const b = new PtyClient(chatUrl)
  await a.waitFor('hermes> ')
  await b.waitFor('hermes> ')
  const c = new PtyClient(chatUrl)
  t.same(await withTimeout(c.closed, 10_000, 'third chat'), { code: 1013, reason: 'chat_limit' }, 'a third per-tab chat: 1013 chat_limit')
  t.match(c.texts.join(''), /--max-chats/, 'the terminal says which option')
  await a.close()
  // The slot frees when the first chat's process has ended (bounded retries).
  let d: PtyClient | null = null
  for (let i = 0; i < 50 && d === null; i++) {
    const attempt = new PtyClient(chatUrl)
    const first = await Promise.race([attempt.waitFor('hermes> ').then(() => 'open', () => 'closed'), attempt.closed.then(() => 'closed')])
    if (first === 'open') d = attempt
    else await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(d !== null, 'after one ends, a new one starts')
  await d?.close()
  await b.close()

  const gw = (): PtyClient => new PtyClient(`ws://${cli.base}/api/ws?token=${TEST_TOKEN}`)
  const g1 = gw()
  const g2 = gw()
  for (const g of [g1, g2]) await withTimeout(new Promise<void>((resolve) => { const check = (): void => { if (g.texts.some((x) => x.includes('gateway.ready'))) resolve(); else setTimeout(check, 20) }; check() }), 10_000, 'gateway ready')
  const g3 = gw()
  t.same(await withTimeout(g3.closed, 10_000, 'third gateway'), { code: 1013, reason: 'gateway_limit: 2 gateways are running, as many as --max-gateways allows' }, 'a third gateway: 1013 gateway_limit')
  await g1.close()
  await g2.close()

  // Input sent before the chat has started is all delivered, however many frames.
  const early = new PtyClient(`ws://${cli.base}/api/pty?attach=early&token=${TEST_TOKEN}`)
  await early.opened
  for (let i = 0; i < 600; i++) early.send('x')
  early.send('\r')
  const said = await early.waitFor(/you said: (x+)\r/, 10_000) as RegExpExecArray
  t.equal(said[1]?.length, 600, 'all 600 early frames reached the chat')
  await early.close()
  const status = await localPeer().http({ url: `http://${cli.base}/api/status` })
  t.equal(json(status).dashboard !== undefined, true, 'still serving')
})
