// test/gateway.test.ts
// /api/ws against the real server with the fixture gateway (newline-delimited JSON-RPC on stdio):
// one process per socket, lines both ways, parse errors and gateway.ping answered by the server,
// 1011 when the gateway exits or cannot start, the process group ended when the socket goes; the
// default gateway on the interpreter Hermes' own script names.

import t from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { createFixtureHome } from './helpers/home.js'
import { FIXTURES } from './helpers/paths.js'
import { eventually, processesWith, withTimeout } from './helpers/pty-client.js'
import type { TT } from './helpers/proxy-checks.js'
import { startChatServer, startServer, TEST_TOKEN, type Running } from './helpers/server.js'

interface Gw {
  readonly ws: WebSocket
  readonly messages: string[]
  next (timeoutMs?: number): Promise<Record<string, unknown>>
  readonly closed: Promise<{ code: number, reason: string }>
}

function connect (server: Running, query = ''): Gw {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${TEST_TOKEN}${query}`, { handshakeTimeout: 10_000 })
  const messages: string[] = []
  let read = 0
  const waiters: Array<() => void> = []
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    messages.push(isBinary ? '<binary>' : data.toString('utf8'))
    waiters.splice(0).forEach((w) => w())
  })
  ws.on('error', () => {})
  const closed = new Promise<{ code: number, reason: string }>((resolve) => ws.once('close', (code, reason) => {
    waiters.splice(0).forEach((w) => w())
    resolve({ code, reason: reason.toString('utf8') })
  }))
  return {
    ws,
    messages,
    closed,
    async next (timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs
      while (read >= messages.length) {
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`closed; messages: ${JSON.stringify(messages)}`)
        if (Date.now() > end) throw new Error(`no message within ${timeoutMs} ms`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100)
          waiters.push(() => { clearTimeout(timer); resolve() })
        })
      }
      return JSON.parse(messages[read++] as string) as Record<string, unknown>
    },
  }
}

async function gatewayServer (t: TT, extra: Record<string, unknown> = {}): Promise<{ server: Running, marker: string }> {
  const { server, marker } = await startChatServer(t, extra, { profiles: ['work'] })
  return { server, marker }
}

t.test('bridge: gateway.ready, requests and streamed events, one process per socket', async (t) => {
  const { server, marker } = await gatewayServer(t)
  const gw = connect(server)
  const ready = await gw.next()
  t.same(ready, { jsonrpc: '2.0', method: 'event', params: { type: 'gateway.ready', session_id: null, payload: { skin: 'default' } } }, 'gateway.ready first')

  gw.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'r1', method: 'session.create', params: { close_on_disconnect: true, source: 'tool' } }))
  const created = await gw.next()
  t.equal(created.id, 'r1')
  t.same((created.result as { session_id: string }).session_id, 'gw-1', 'the gateway answered')
  const deltas: string[] = []
  for (let i = 0; i < 3; i++) {
    const e = await gw.next()
    t.equal((e.params as { type: string }).type, 'message.delta')
    deltas.push((e.params as { payload: { text: string } }).payload.text)
  }
  t.equal(deltas.join(''), 'Hello, world', 'events streamed in order, one message per line')
  t.equal(((await gw.next()).params as { type: string }).type, 'message.complete')

  // A request spread over several lines (valid JSON) still reaches the gateway as one line.
  gw.ws.send('{\n  "jsonrpc": "2.0",\n  "id": 7,\n  "method": "echo",\n  "params": {"a": "x\\ny"}\n}')
  t.same(await gw.next(), { jsonrpc: '2.0', id: 7, result: { a: 'x\ny' } }, 'a multi-line request arrives whole')

  const second = connect(server)
  await second.next()
  t.equal(processesWith(marker).length, 2, 'one gateway process per socket')
  second.ws.close()
  t.ok(await eventually(() => processesWith(marker).length === 1), 'a closed socket ends its gateway')
  gw.ws.close()
  t.ok(await eventually(() => processesWith(marker).length === 0), 'and the other one')
})

t.test('malformed JSON and gateway.ping are answered by the server, not passed on', async (t) => {
  const { server } = await gatewayServer(t)
  const gw = connect(server)
  await gw.next()
  gw.ws.send('this is not json')
  t.same(await gw.next(), { jsonrpc: '2.0', error: { code: -32700, message: 'parse error' }, id: null }, 'parse error, id null')
  gw.ws.send('{"jsonrpc":"2.0","id":"heartbeat-1","method":"gateway.ping","params":{}}')
  t.same(await gw.next(), { jsonrpc: '2.0', result: { ok: true }, id: 'heartbeat-1' }, 'gateway.ping answered with {ok:true}')
  gw.ws.send('   ')
  gw.ws.send('{"jsonrpc":"2.0","id":2,"method":"nope"}')
  const unknown = await gw.next()
  t.equal(unknown.id, 2, 'the next message answered is the next request: blank messages and the two above never reached the gateway')
  t.equal((unknown.error as { code: number }).code, -32601)
  gw.ws.send(Buffer.from('{"jsonrpc":"2.0","id":3,"method":"echo"}'), { binary: true })
  t.same(await withTimeout(gw.closed, 10_000, 'binary'), { code: 1003, reason: 'frame_unsupported' }, 'a binary message closes 1003')
})

t.test('the gateway exits: 1011 with a reason; a missing gateway: 1011', async (t) => {
  const { server, marker } = await gatewayServer(t)
  const gw = connect(server)
  await gw.next()
  gw.ws.send('{"jsonrpc":"2.0","id":1,"method":"exit","params":{"code":4}}')
  t.same(await withTimeout(gw.closed, 10_000, 'exit'), { code: 1011, reason: 'gateway_exited code=4' }, 'closed 1011, with the exit code')
  t.ok(await eventually(() => processesWith(marker).length === 0), 'nothing left')

  // A gateway that exits leaving a child holding its stdout: the socket still closes, the child goes.
  const lingering = connect(server)
  await lingering.next()
  lingering.ws.send('{"jsonrpc":"2.0","id":1,"method":"linger"}')
  await lingering.next()
  t.equal(processesWith(marker).length, 2, 'the gateway and its lingering child')
  lingering.ws.send('{"jsonrpc":"2.0","id":2,"method":"exit","params":{"code":0}}')
  t.same(await withTimeout(lingering.closed, 10_000, 'linger exit'), { code: 1011, reason: 'gateway_exited code=0' }, 'closed although a child held stdout')
  t.ok(await eventually(() => processesWith(marker).length === 0), 'the lingering child went with the gateway')

  // A line of 8 MiB passes whole (messages up to 16 MiB are allowed).
  const big = connect(server)
  await big.next()
  big.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'big', params: { bytes: 8 * 1024 * 1024 } }))
  const answer = await big.next(20_000)
  t.equal((answer.result as string).length, 8 * 1024 * 1024, 'an 8 MiB line arrives as one message')
  // A line over 16 MiB would be a message no browser is sent: the gateway is stopped instead.
  big.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'big', params: { bytes: 17 * 1024 * 1024 } }))
  const tooLong = await withTimeout(big.closed, 20_000, 'too long')
  t.equal(tooLong.code, 1011, 'a gateway line over 16 MiB: 1011')
  t.match(tooLong.reason, /^gateway_exited stopped: a line over 16777216 bytes/, 'the reason says why')

  const { server: missing } = await gatewayServer(t, { gatewayCommand: 'no-such-gateway-program -m tui_gateway.entry' })
  const m = connect(missing)
  const closed = await withTimeout(m.closed, 10_000, 'missing')
  t.equal(closed.code, 1011)
  t.match(closed.reason, /^gateway_unavailable: the gateway command "no-such-gateway-program" was not found/, 'the reason says which command')

  const { server: noProfile } = await gatewayServer(t)
  const p = connect(noProfile, '&profile=nobody')
  t.same(await withTimeout(p.closed, 10_000, 'profile'), { code: 4404, reason: 'profile_not_found: Profile \'nobody\' does not exist.' }, 'an unknown profile')
})

t.test('server close ends every gateway', async (t) => {
  const { server, marker } = await gatewayServer(t)
  const a = connect(server)
  const b = connect(server)
  await a.next()
  await b.next()
  t.equal(processesWith(marker).length, 2)
  await server.close()
  t.same(processesWith(marker), [], 'no gateway process remains')
  t.same(await withTimeout(a.closed, 10_000, 'close'), { code: 1001, reason: 'server_shutdown' }, 'the socket was told the server is going away')
})

t.test('the default gateway runs on the Python that the hermes script names, not the first python3 on PATH', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hd-venv-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const marker = randomUUID()
  // A venv's interpreter, as far as the gateway goes: it has tui_gateway.entry (the fixture gateway).
  const python = join(dir, 'bin', 'python3')
  mkdirSync(join(dir, 'bin'))
  writeFileSync(python, `#!/bin/sh\n[ "$1" = "-m" ] && [ "$2" = "tui_gateway.entry" ] && exec ${process.execPath} ${FIXTURES}/gateway.mjs --marker=${marker}\nexit 3\n`, { mode: 0o755 })
  // Hermes' console script, as pip writes it in that venv.
  writeFileSync(join(dir, 'bin', 'hermes'), `#!${python}\nimport sys\nfrom hermes_cli.main import main\nsys.exit(main())\n`, { mode: 0o755 })
  const home = createFixtureHome()
  t.teardown(home.remove)
  // PATH has no python3 with tui_gateway: the first one there would fail to start the gateway.
  const server = await startServer(t, { hermesHome: home.dir, hermesCommand: join(dir, 'bin', 'hermes') }, { PATH: '/usr/bin:/bin' })
  const gw = connect(server)
  const ready = await gw.next()
  t.equal(ready.method, 'event', 'the gateway started')
  t.equal((ready.params as { type?: string }).type, 'gateway.ready', 'and said gateway.ready')
  t.ok((await processesWith(marker)).length > 0, 'on the venv\'s interpreter')
  gw.ws.close()
  await gw.closed
})
