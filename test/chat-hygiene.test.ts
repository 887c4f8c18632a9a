// test/chat-hygiene.test.ts
// No process leaks: 200 connect/disconnect cycles of legacy chats and 200 of kept-alive ones (half
// of them dropped before the chat has even started), a child killed from outside, and the close
// codes the front end sees for it.

import t from 'tap'
import { eventually, processesWith, PtyClient, withTimeout } from './helpers/pty-client.js'
import type { TT } from './helpers/proxy-checks.js'
import { startChatServer, TEST_TOKEN, type Running } from './helpers/server.js'

const CYCLES = 200

async function setup (t: TT): Promise<{ server: Running, marker: string, url: (q?: string) => string }> {
  const { server, marker } = await startChatServer(t)
  return { server, marker, url: (q = '') => `ws://127.0.0.1:${server.port}/api/pty?token=${TEST_TOKEN}${q}` }
}

/** One cycle: connect, then either wait for the prompt or drop at once (before the chat started). */
async function cycle (url: string, waitForPrompt: boolean): Promise<void> {
  const c = new PtyClient(url)
  if (waitForPrompt) await c.waitFor('hermes> ')
  else await c.opened
  await c.close()
}

t.test(`legacy: ${CYCLES} connect/disconnect cycles leave no process behind`, async (t) => {
  const { marker, url, server } = await setup(t)
  let most = 0
  for (let i = 0; i < CYCLES; i++) {
    await cycle(url(), i % 2 === 0)
    most = Math.max(most, processesWith(marker).length)
  }
  t.ok(await eventually(() => processesWith(marker).length === 0, 10_000), `no fixture process left after ${CYCLES} cycles`)
  t.ok(most <= 3, `at most a few chats were alive at any time (${most})`)
  // node-pty reports an exit once it has read the terminal to its end, a moment after the process went.
  t.ok(await eventually(() => server.app.hermes.chat.count() === 0), 'the server holds no session')
})

t.test(`kept-alive: ${CYCLES} cycles on one key are one chat; ${CYCLES} on new keys stay within 16`, async (t) => {
  const { marker, url, server } = await setup(t)
  for (let i = 0; i < CYCLES; i++) await cycle(url('&attach=same-key'), i % 2 === 0)
  t.ok(await eventually(() => processesWith(marker).length === 1), 'one chat, re-attached each time')
  const last = new PtyClient(url('&attach=same-key'))
  await last.waitFor('hermes> ')
  last.type('/exit')
  t.equal((await withTimeout(last.closed, 10_000, 'exit')).code, 4410)
  t.ok(await eventually(() => processesWith(marker).length === 0), 'and gone once it exits')

  for (let i = 0; i < CYCLES; i++) await cycle(url(`&attach=key-${i}`), i % 2 === 0)
  t.ok(await eventually(() => processesWith(marker).length <= 16, 10_000), 'never more than 16 kept-alive chats')
  // A chat started by the last cycle may not have exec'd yet; one evicted may not have exited yet.
  t.ok(await eventually(() => server.app.hermes.chat.registry.size === processesWith(marker).length), 'the registry and the live processes agree')
  await server.close()
  t.same(processesWith(marker), [], 'server close ends them all')
})

t.test('a child killed from outside: 1000 for a legacy chat, 4410 for a kept-alive one', async (t) => {
  const { marker, url } = await setup(t)
  for (const [query, code] of [['', 1000], ['&attach=killed', 4410]] as const) {
    const c = new PtyClient(url(query))
    await c.waitFor('hermes> ')
    const [pid] = processesWith(marker)
    process.kill(pid as number, 'SIGKILL')
    const closed = await withTimeout(c.closed, 10_000, 'close after kill')
    t.equal(closed.code, code, `${query === '' ? 'legacy' : 'kept-alive'}: closed ${code}`)
    t.ok(await eventually(() => processesWith(marker).length === 0), 'reaped')
  }
})
