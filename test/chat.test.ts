// test/chat.test.ts
// /api/pty against the real server on a real socket, with the fixture chat program in real PTYs:
// echo, resize, the environment the TUI expects, events on the chat's channel, legacy and kept-alive
// lifecycles (replay, 4409, 4410, 1000), resume, failures printed into the terminal, and that every
// process of the fixture is gone when its chat ends or the server closes.

import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import type { TT } from './helpers/proxy-checks.js'
import { localPeer } from './helpers/peer.js'
import { eventually, processesWith, PtyClient, withTimeout } from './helpers/pty-client.js'
import { startChatServer, TEST_TOKEN, type Running } from './helpers/server.js'

const ENV_RE = /ENV (\{.*\})\r/

async function chatServer (t: TT, extra: Record<string, unknown> = {}): Promise<{ server: Running, marker: string, home: string }> {
  const { server, marker, home } = await startChatServer(t, extra, {
    profiles: ['work'],
    lineage: [
      { id: 'root-1', startedAgo: 300 },
      { id: 'child-old', parent: 'root-1', startedAgo: 200 },
      { id: 'child-new', parent: 'root-1', startedAgo: 100 },
      { id: 'grandchild', parent: 'child-new', startedAgo: 50 },
    ],
  })
  // Whatever a test leaves behind, the server's close must end it: checked once more at the very end.
  t.teardown(async () => {
    await server.close()
    if (processesWith(marker).length > 0) throw new Error(`fixture processes left after server close: ${processesWith(marker).join(',')}`)
  })
  return { server, marker, home }
}

function ptyUrl (server: Running, params: Record<string, string> = {}): string {
  const q = new URLSearchParams({ token: TEST_TOKEN, ...params })
  return `ws://127.0.0.1:${server.port}/api/pty?${q.toString()}`
}

async function envOf (client: PtyClient): Promise<Record<string, string>> {
  const from = client.output.length
  client.type('/env')
  const m = await client.waitFor(ENV_RE, 10_000, from) as RegExpExecArray
  return JSON.parse(m[1] as string) as Record<string, string>
}

t.test('a chat: prompt, echo, resize, environment, events on its channel', async (t) => {
  const { server, home } = await chatServer(t)
  const channel = `chat-${randomUUID()}`
  const events = localPeer().ws({ url: `ws://127.0.0.1:${server.port}/api/events?channel=${channel}&token=${TEST_TOKEN}` })
  t.equal((await events.opened()).event, 'open', 'the sidebar feed is open')

  const chat = new PtyClient(ptyUrl(server, { channel }))
  t.ok(await chat.opened, 'socket open')
  await chat.waitFor('[size 80x24]')
  t.pass('the PTY starts at 80x24')
  await chat.waitFor('hermes> ')

  const info = await events.message()
  t.equal(info.event, 'message', 'an event arrived on the channel')
  const sessionInfo = JSON.parse((info as { data: string }).data) as { method: string, params: { type: string, session_id: string, payload: { title: string } } }
  t.equal(sessionInfo.method, 'event')
  t.equal(sessionInfo.params.type, 'session.info', 'the chat published session.info through /api/pub')
  t.equal(sessionInfo.params.payload.title, 'Fixture chat')

  chat.type('hello there')
  await chat.waitFor('you said: hello there')
  t.pass('typed input is echoed back')
  const delta = await events.message()
  t.match((delta as { data: string }).data, /"type":"message.delta".*you said: hello there/, 'message.delta reaches the sidebar')

  chat.resize(132, 43)
  await chat.waitFor('[size 132x43]')
  t.pass('RESIZE resizes the terminal')

  const env = await envOf(chat)
  t.equal(env.HERMES_TUI_DASHBOARD, '1')
  t.equal(env.NODE_ENV, 'production')
  t.equal(env.HERMES_TUI_DISABLE_MOUSE, '1')
  t.equal(env.HERMES_TUI_INLINE, '1')
  t.equal(env.COLORTERM, 'truecolor')
  t.equal(env.TERM, 'xterm-256color', 'TERM defaults to xterm-256color')
  t.equal(env.HERMES_HOME, home, 'HERMES_HOME is the dashboard\'s home')
  t.notOk('HERMES_TUI_RESUME' in env, 'no resume without one asked for')
  t.notOk('HERMES_DASHBOARD_SESSION_TOKEN' in env, 'the session token is not handed to the chat')
  const sidecar = new URL(env.HERMES_TUI_SIDECAR_URL ?? '')
  t.equal(sidecar.protocol, 'ws:')
  t.equal(sidecar.host, `127.0.0.1:${server.port}`, 'the sidecar URL points at this server on loopback')
  t.equal(sidecar.pathname, '/api/pub')
  t.equal(sidecar.searchParams.get('channel'), channel)
  t.notOk(sidecar.searchParams.has('token'), 'the sidecar uses the internal credential, not the session token')
  t.ok((sidecar.searchParams.get('internal') ?? '').length >= 32, 'internal credential present')
  const activeFile = env.HERMES_TUI_ACTIVE_SESSION_FILE ?? ''
  t.match(activeFile, /hermes-pty-active-.*\.json$/)
  t.same(JSON.parse(readFileSync(activeFile, 'utf8')), { session_id: sessionInfo.params.session_id }, 'the chat recorded its session in the breadcrumb file')

  // The internal credential is for the server's own children only: not from a page, not over REST.
  const internal = sidecar.searchParams.get('internal') ?? ''
  const rest = await localPeer().http({ url: `http://127.0.0.1:${server.port}/api/actions/hermes-update/status?internal=${internal}` })
  t.equal(rest.status, 401, 'the internal credential does not open REST routes')

  t.same(await chat.close(), { code: 1005, reason: '' }, 'client close')
  events.close()
})

t.test('legacy chat: one PTY per socket, gone with the socket; child exit closes 1000', async (t) => {
  const { server, marker } = await chatServer(t)
  const a = new PtyClient(ptyUrl(server))
  await a.waitFor('hermes> ')
  t.equal(processesWith(marker).length, 1, 'one chat process')
  a.type('/exit 3')
  const closed = await withTimeout(a.closed, 10_000, 'close after exit')
  t.equal(closed.code, 1000, 'the child\'s exit closes the socket 1000 (the front end shows "session ended")')
  t.ok(await eventually(() => processesWith(marker).length === 0), 'the child is gone')

  const b = new PtyClient(ptyUrl(server))
  await b.waitFor('hermes> ')
  b.type('/stubborn')
  await b.waitFor(/stubborn \d+/)
  t.equal(processesWith(marker).length, 2, 'the chat and a child of it that ignores SIGHUP and SIGTERM')
  await b.close()
  t.ok(await eventually(() => processesWith(marker).length === 0, 5000), 'closing the socket ends the whole process group, SIGKILL included')

  const c = new PtyClient(ptyUrl(server))
  await c.waitFor('hermes> ')
  c.type('/stubborn')
  await c.waitFor(/stubborn \d+/)
  c.type('/exit')
  t.equal((await withTimeout(c.closed, 10_000, 'exit')).code, 1000)
  t.ok(await eventually(() => processesWith(marker).length === 0, 5000), 'a chat that exits takes what it left in its group with it')
})

t.test('kept-alive chat: replay on re-attach, 4409 for the older tab, 4410 on exit, keys as Hermes keys them', async (t) => {
  const { server, marker } = await chatServer(t)
  const attach = randomUUID()
  const first = new PtyClient(ptyUrl(server, { attach }))
  await first.waitFor('hermes> ')
  first.type('remember me')
  await first.waitFor('you said: remember me')
  await first.close()
  t.equal(processesWith(marker).length, 1, 'the PTY outlives its socket')

  const again = new PtyClient(ptyUrl(server, { attach }))
  await again.waitFor('you said: remember me')
  t.pass('re-attaching replays what the chat wrote before')
  t.match(again.output, /^Hermes fixture chat/, 'the replay starts at the beginning of the buffer')
  t.equal(processesWith(marker).length, 1, 'no second PTY')

  const tab2 = new PtyClient(ptyUrl(server, { attach }))
  const superseded = await withTimeout(again.closed, 10_000, 'superseded close')
  t.same(superseded, { code: 4409, reason: 'superseded' }, 'a later tab supersedes the earlier one with 4409')
  await tab2.waitFor('you said: remember me')
  tab2.type('from tab 2')
  await tab2.waitFor('you said: from tab 2')

  // Same attach key, another profile or an explicit resume: another chat (Hermes #61919).
  const other = new PtyClient(ptyUrl(server, { attach, profile: 'work' }))
  await other.waitFor('hermes> ')
  t.notMatch(other.output, /remember me/, 'a profile makes it a different chat')
  t.equal(processesWith(marker).length, 2)
  t.equal(tab2.ws.readyState, tab2.ws.OPEN, 'and does not supersede the first')
  await other.close()

  tab2.type('/exit')
  t.same(await withTimeout(tab2.closed, 10_000, 'exit close'), { code: 4410, reason: 'process_exited code=0' }, 'the child\'s exit closes the attached socket 4410')
  t.ok(await eventually(() => processesWith(marker).length === 1), 'only the profile chat is left (detached, kept alive)')
  t.equal(server.app.hermes.chat.registry.size, 1, 'the exited chat left the registry')
})

t.test('resume: the latest descendant, an implicit resume from the channel\'s breadcrumb, fresh=1', async (t) => {
  const { server } = await chatServer(t)
  const explicit = new PtyClient(ptyUrl(server, { resume: 'root-1' }))
  await explicit.waitFor('hermes> ')
  t.equal((await envOf(explicit)).HERMES_TUI_RESUME, 'grandchild', 'resume goes to the newest descendant in state.db')
  await explicit.close()

  const channel = `chat-${randomUUID()}`
  const attach = randomUUID()
  const one = new PtyClient(ptyUrl(server, { channel, resume: 'child-old', attach }))
  await one.waitFor('hermes> ')
  const env = await envOf(one)
  t.equal(env.HERMES_TUI_RESUME, 'child-old', 'a session without children resumes itself')
  t.same(JSON.parse(readFileSync(env.HERMES_TUI_ACTIVE_SESSION_FILE ?? '', 'utf8')), { session_id: 'child-old' })
  await one.close()

  // Same channel, no resume: the breadcrumb names the session.
  const two = new PtyClient(ptyUrl(server, { channel }))
  await two.waitFor('hermes> ')
  t.equal((await envOf(two)).HERMES_TUI_RESUME, 'child-old', 'a reconnect on the channel resumes the session it was showing')
  await two.close()

  const three = new PtyClient(ptyUrl(server, { channel, fresh: '1' }))
  await three.waitFor('hermes> ')
  const freshEnv = await envOf(three)
  t.notOk('HERMES_TUI_RESUME' in freshEnv, 'fresh=1 ignores the breadcrumb')
  await three.close()
  t.ok(existsSync(freshEnv.HERMES_TUI_ACTIVE_SESSION_FILE ?? ''), 'and the fresh chat writes its own')
})

t.test('failures after accept: one red line in the terminal, then 1011', async (t) => {
  const { server } = await chatServer(t)
  const cases: Array<[string, Record<string, string>, RegExp, string]> = [
    ['unknown profile', { profile: 'nobody' }, /Chat unavailable: Profile 'nobody' does not exist/, 'profile_not_found'],
    ['invalid profile name', { profile: '../etc' }, /Chat unavailable: "\.\.\/etc" is not a profile name/, 'profile_invalid'],
    ['a resume id that is no session id', { resume: 'a b;c' }, /Chat unavailable: the resume session id/, 'query_invalid'],
  ]
  for (const [what, params, text, reason] of cases) {
    const c = new PtyClient(ptyUrl(server, params))
    const closed = await withTimeout(c.closed, 10_000, what)
    t.same(closed, { code: 1011, reason }, `${what}: closed 1011 with the reason`)
    t.equal(c.texts.length, 1, `${what}: one text frame`)
    t.match(c.texts[0], /^\r\n\x1b\[31m/, `${what}: red`)
    t.match(c.texts[0], text, `${what}: says why`)
  }

  const missing = await chatServer(t, { chatCommand: 'hermes-no-such-program --tui' })
  const c = new PtyClient(ptyUrl(missing.server))
  t.same(await withTimeout(c.closed, 10_000, 'missing'), { code: 1011, reason: 'chat_unavailable' }, 'a missing chat command: 1011')
  t.match(c.texts[0], /Chat unavailable: the chat command "hermes-no-such-program" was not found on PATH/)
})

t.test('registry full: 16 kept-alive chats attached, the 17th is refused; a detached one makes room', async (t) => {
  const { server, marker } = await chatServer(t)
  const tabs: PtyClient[] = []
  for (let i = 0; i < 16; i++) {
    const c = new PtyClient(ptyUrl(server, { attach: `key-${i}` }))
    await c.waitFor('hermes> ')
    tabs.push(c)
  }
  t.equal(processesWith(marker).length, 16)
  const extra = new PtyClient(ptyUrl(server, { attach: 'key-16' }))
  t.same(await withTimeout(extra.closed, 10_000, 'full'), { code: 1011, reason: 'chat_registry_full' }, 'refused with 1011')
  t.match(extra.texts[0], /Chat unavailable: all 16 kept-alive chats are open/)

  await tabs[3]?.close()
  const room = new PtyClient(ptyUrl(server, { attach: 'key-16' }))
  await room.waitFor('hermes> ')
  t.pass('with one chat detached, a new one starts')
  t.ok(await eventually(() => processesWith(marker).length === 16), 'the detached chat was ended to make room')
  t.equal(server.app.hermes.chat.registry.get('key-3'), undefined, 'it left the registry')
})

t.test('server close ends every PTY, attached, detached and legacy', async (t) => {
  const { server, marker } = await startChatServer(t)
  const clients = [new PtyClient(ptyUrl(server)), new PtyClient(ptyUrl(server, { attach: 'a' })), new PtyClient(ptyUrl(server, { attach: 'b' }))]
  for (const c of clients) await c.waitFor('hermes> ')
  clients[2]?.type('/stubborn')
  await clients[2]?.waitFor(/stubborn \d+/)
  await clients[1]?.close()
  t.equal(processesWith(marker).length, 4, 'three chats and a stubborn child')
  await server.close()
  t.same(processesWith(marker), [], 'no process of the fixture remains after close')
})

t.test('a reloaded page on a new channel still gets the re-attached chat\'s events and title', async (t) => {
  const { server } = await chatServer(t)
  const attach = randomUUID()
  const first = `chat-${randomUUID()}`
  const watcher = localPeer().ws({ url: `ws://127.0.0.1:${server.port}/api/events?channel=${first}&token=${TEST_TOKEN}` })
  t.equal((await watcher.opened()).event, 'open')
  const chat = new PtyClient(ptyUrl(server, { channel: first, attach }))
  await chat.waitFor('hermes> ')
  chat.type('/title My long chat')
  // The title has reached the server once a subscriber sees it (the chat's publisher runs on its own).
  let titled = false
  for (let i = 0; i < 5 && !titled; i++) {
    const e = await watcher.message()
    if (e.event !== 'message') break
    titled = String(e.data).includes('My long chat')
  }
  t.ok(titled, 'the new title reached the server')
  watcher.close()
  await chat.close()

  // The Hermes front end makes a new channel id on every mount; the chat still publishes on the first.
  const second = `chat-${randomUUID()}`
  const events = localPeer().ws({ url: `ws://127.0.0.1:${server.port}/api/events?channel=${second}&token=${TEST_TOKEN}` })
  t.equal((await events.opened()).event, 'open')
  const again = new PtyClient(ptyUrl(server, { channel: second, attach }))
  await again.waitFor('hermes> ')
  const title = await events.message()
  t.match((title as { data: string }).data, /"session.info".*"title":"My long chat"/, 'the chat\'s current title arrives on the new channel at once')
  again.type('hello again')
  await again.waitFor('you said: hello again')
  t.match(((await events.message()) as { data: string }).data, /"message.delta".*hello again/, 'its events follow to the new channel')

  // A sidebar that connects after the title was published still gets it.
  const late = localPeer().ws({ url: `ws://127.0.0.1:${server.port}/api/events?channel=${first}&token=${TEST_TOKEN}` })
  t.match(((await late.message()) as { data: string }).data, /"title":"My long chat"/, 'a late subscriber gets the last session.info')
  events.close()
  late.close()
  await again.close()
})
