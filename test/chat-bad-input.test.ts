// test/chat-bad-input.test.ts
// Bad input on /api/pty and /api/ws: invalid UTF-8, non-UTF-8 bytes, absurd or glued RESIZE frames,
// a 64 MiB frame, an invalid channel. Each gets its defined answer and the server keeps serving.

import t from 'tap'
import { WebSocket } from 'ws'
import { PtyClient, withTimeout } from './helpers/pty-client.js'
import { frame, rawWebSocket } from './helpers/raw-ws.js'
import { startChatServer, TEST_TOKEN } from './helpers/server.js'

t.test('bad input on the chat and gateway sockets', async (t) => {
  const { server } = await startChatServer(t)
  const url = (q = ''): string => `ws://127.0.0.1:${server.port}/api/pty?token=${TEST_TOKEN}${q}`

  const alive = async (when: string): Promise<void> => {
    const c = new PtyClient(url())
    await c.waitFor('hermes> ')
    c.type('still here')
    await c.waitFor('you said: still here')
    await c.close()
    t.pass(`a new chat works after ${when}`)
  }

  const chat = new PtyClient(url())
  await chat.waitFor('hermes> ')

  // Absurd sizes are clamped, not refused and not passed on.
  chat.resize('131072', '99999999999999999999')
  await chat.waitFor('[size 2000x1000]')
  t.pass('an absurd RESIZE is clamped to 2000x1000')
  chat.resize(0, 0)
  await chat.waitFor('[size 1x1]')
  t.pass('a zero RESIZE is clamped to 1x1')
  chat.resize(100, 30)
  await chat.waitFor('[size 100x30]')

  // A RESIZE glued to other input is input: written to the PTY, the size unchanged.
  const from = chat.output.length
  chat.send('x\x1b[RESIZE:50;20]\r')
  await chat.waitFor('you said: x\x1b[RESIZE:50;20]', 10_000, from)
  t.notMatch(chat.output.slice(from), /\[size 50x20\]/, 'a glued RESIZE does not resize')

  // Bytes that are not UTF-8, in a binary frame, go to the PTY unchanged; the chat goes on.
  chat.send(Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0d]), true)
  await chat.waitFor(/you said: [^\r]*\r/, 10_000, chat.output.length)
  chat.type('after binary')
  await chat.waitFor('you said: after binary')
  t.pass('non-UTF-8 bytes in a binary frame reach the chat, which keeps going')

  // The same bytes in a text frame are a protocol error: 1007, from the WebSocket layer.
  const raw = await rawWebSocket(server.port, `/api/pty?token=${TEST_TOKEN}`)
  raw.write(frame(0x1, Buffer.from([0xc3, 0x28, 0xff])))
  t.equal(await raw.closeCode(), 1007, 'invalid UTF-8 in a text frame closes 1007')
  raw.socket.destroy()

  // A 64 MiB message is refused by maxPayload: 1009, the other sockets unharmed.
  for (const path of ['/api/pty', '/api/ws']) {
    const big = new WebSocket(`ws://127.0.0.1:${server.port}${path}?token=${TEST_TOKEN}`, { maxPayload: 0 })
    big.on('error', () => {})
    const closed = new Promise<number>((resolve) => big.once('close', (code) => resolve(code)))
    await new Promise((resolve) => big.once('open', resolve))
    big.send(Buffer.alloc(64 * 1024 * 1024, 0x61))
    t.equal(await withTimeout(closed, 20_000, '64 MiB'), 1009, `${path}: a 64 MiB frame closes 1009`)
  }
  chat.type('after the big frame')
  await chat.waitFor('you said: after the big frame')
  t.pass('the open chat was not disturbed')

  // An invalid channel is ignored (as in Hermes): the chat starts, without a sidecar.
  const bad = new PtyClient(url('&channel=' + encodeURIComponent('no spaces/allowed')))
  await bad.waitFor('hermes> ')
  bad.type('/env')
  const env = JSON.parse(((await bad.waitFor(/ENV (\{.*\})\r/)) as RegExpExecArray)[1] as string) as Record<string, string>
  t.notOk('HERMES_TUI_SIDECAR_URL' in env, 'no sidecar URL for an invalid channel')
  t.notOk('HERMES_TUI_ACTIVE_SESSION_FILE' in env, 'and no breadcrumb file')
  await bad.close()

  // A repeated profile is refused before anything starts (the policy checked one of them).
  const twice = new PtyClient(url('&profile=a&profile=b'))
  t.same(await withTimeout(twice.closed, 10_000, 'twice'), { code: 4400, reason: 'query_invalid' }, '?profile= twice: 4400')

  await chat.close()
  await alive('all of the above')
})
