// test/unit/chat-launch.test.ts
// The pure parts of starting a chat: the query, the environment, the sidecar URL, the registry key.

import t from 'tap'
import { chatEnv, readChatQuery, sidecarUrl } from '../../src/chat/launch.js'
import { registryKey } from '../../src/chat/registry.js'
import { DashboardError } from '../../src/errors.js'

t.test('readChatQuery', async (t) => {
  t.same(readChatQuery({}), { channel: null, resume: null, fresh: false, attach: null })
  t.same(readChatQuery({ channel: 'chat-1', resume: 's_1', fresh: 'YES', attach: 'ab12' }), { channel: 'chat-1', resume: 's_1', fresh: true, attach: 'ab12' })
  t.equal(readChatQuery({ channel: 'bad channel!' }).channel, null, 'an invalid channel is ignored')
  t.equal(readChatQuery({ fresh: '0' }).fresh, false)
  t.equal(readChatQuery({ resume: '' }).resume, null)
  for (const q of [{ resume: 'a b' }, { resume: '../x' }, { attach: '' }, { attach: 'x'.repeat(257) }, { attach: 'a\nb' }, { channel: ['a', 'b'] }]) {
    t.throws(() => readChatQuery(q), DashboardError, JSON.stringify(q))
  }
})

t.test('chatEnv: defaults only when missing, what the TUI needs always, nothing inherited that points elsewhere', async (t) => {
  const env = chatEnv({ PATH: '/bin', TERM: 'screen', NODE_ENV: 'development', HERMES_TUI_RESUME: 'old', HERMES_TUI_GATEWAY_URL: 'ws://x' }, { home: '/h', resume: null, sidecarUrl: null, activeSessionFile: null })
  t.equal(env.TERM, 'screen', 'TERM kept')
  t.equal(env.NODE_ENV, 'development', 'NODE_ENV kept')
  t.equal(env.HERMES_TUI_DASHBOARD, '1')
  t.equal(env.HERMES_HOME, '/h')
  t.notOk('HERMES_TUI_RESUME' in env, 'an inherited resume is dropped')
  t.notOk('HERMES_TUI_GATEWAY_URL' in env, 'the TUI starts its own gateway')
  const full = chatEnv({ TERM: '' }, { home: '/h', resume: 's1', sidecarUrl: 'ws://u', activeSessionFile: '/f' })
  t.equal(full.TERM, 'xterm-256color')
  t.same([full.HERMES_TUI_RESUME, full.HERMES_TUI_SIDECAR_URL, full.HERMES_TUI_ACTIVE_SESSION_FILE], ['s1', 'ws://u', '/f'])
})

t.test('sidecarUrl', async (t) => {
  t.equal(sidecarUrl({ address: '127.0.0.1', port: 9119 }, '', 'cred', 'c1'), 'ws://127.0.0.1:9119/api/pub?internal=cred&channel=c1')
  t.equal(sidecarUrl({ address: '0.0.0.0', port: 1 }, '', 'c', 'x'), 'ws://127.0.0.1:1/api/pub?internal=c&channel=x', 'wildcard → loopback')
  t.equal(sidecarUrl({ address: '::', port: 1 }, '', 'c', 'x'), 'ws://127.0.0.1:1/api/pub?internal=c&channel=x')
  t.equal(sidecarUrl({ address: '::1', port: 2 }, '/hermes', 'c', 'x'), 'ws://[::1]:2/hermes/api/pub?internal=c&channel=x', 'IPv6 in brackets, mount prefix kept')
  t.equal(sidecarUrl({ address: '10.0.0.5', port: 3 }, '', 'c', 'x'), 'ws://10.0.0.5:3/api/pub?internal=c&channel=x', 'a specific address is used as is')
})

t.test('registryKey: attach alone, or with profile and resume', async (t) => {
  t.equal(registryKey('k', null, null), 'k')
  t.equal(registryKey('k', 'work', null), 'k\0work\0')
  t.equal(registryKey('k', null, 's1'), 'k\0\0s1')
  t.not(registryKey('k', 'a', null), registryKey('k', null, 'a'))
})
