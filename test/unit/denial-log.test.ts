// test/unit/denial-log.test.ts
// One line per refusal, at most once per (reason, peer) a minute; one line per peer whose forwarded
// headers were ignored; bounded memory.

import t from 'tap'
import type { FastifyBaseLogger } from 'fastify'
import { createDenialLog } from '../../src/trust/denial-log.js'
import type { RequestView } from '../../src/trust/inspect.js'
import type { Deny } from '../../src/trust/policy.js'

function recorder (): { log: FastifyBaseLogger, lines: Array<{ level: string, obj: Record<string, unknown>, msg: string }> } {
  const lines: Array<{ level: string, obj: Record<string, unknown>, msg: string }> = []
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => { lines.push({ level, obj, msg }) }
  const log = { warn: at('warn'), info: at('info'), error: at('error'), debug: at('debug') } as unknown as FastifyBaseLogger
  return { log, lines }
}

function view (peer: string, ignored: string[] = []): RequestView {
  return {
    peer, client: peer, method: 'GET', path: '/api/x', upgrade: false, peerIsLoopback: false, peerIsTrustedProxy: false,
    forwarded: { family: 'x-forwarded-for', sent: ignored, read: false, ignored, used: [], hops: [], chosen: -1, prefix: null },
  } as unknown as RequestView
}

const DENY: Deny = { allow: false, code: 'HD_ERR_TOKEN_MISSING', detail: 'no session token offered', hint: 'send it' }
const PEER: Deny = { allow: false, code: 'HD_ERR_PEER_NOT_ALLOWED', detail: 'from elsewhere', hint: 'trust it' }

t.test('once per reason and peer a minute', async (t) => {
  const { log, lines } = recorder()
  let now = 0
  const d = createDenialLog(log, { now: () => now })
  d.denied(view('10.0.0.1'), DENY)
  d.denied(view('10.0.0.1'), DENY)
  t.equal(lines.length, 1, 'a repeat within the minute is not logged')
  t.same(lines[0]?.obj, { event: 'trust.denied', reason: 'token_missing', code: 'HD_ERR_TOKEN_MISSING', peer: '10.0.0.1', client: '10.0.0.1', method: 'GET', path: '/api/x', upgrade: false, detail: 'no session token offered', hint: 'send it' })
  t.equal(lines[0]?.level, 'warn')
  d.denied(view('10.0.0.1'), PEER)
  d.denied(view('10.0.0.2'), DENY)
  t.equal(lines.length, 3, 'another reason or another peer is logged')
  now = 59_999
  d.denied(view('10.0.0.1'), DENY)
  t.equal(lines.length, 3)
  now = 60_000
  d.denied(view('10.0.0.1'), DENY)
  t.equal(lines.length, 4, 'again after a minute')
})

t.test('memory stays bounded; a flood of new peers does not unmute an old one at once', async (t) => {
  const { log, lines } = recorder()
  const d = createDenialLog(log, { now: () => 0, maxKeys: 10 })
  d.denied(view('192.0.2.1'), DENY)
  for (let i = 0; i < 4; i++) d.denied(view(`198.51.100.${i}`), DENY)
  d.denied(view('192.0.2.1'), DENY)
  t.equal(lines.length, 5, 'below the bound nothing is forgotten')
  for (let i = 0; i < 100; i++) d.denied(view(`203.0.113.${i}`), DENY)
  t.equal(lines.length, 105, 'every new peer logged once')
})

t.test('ignored forwarded headers: once per peer, with a hint', async (t) => {
  const { log, lines } = recorder()
  const d = createDenialLog(log)
  d.forwardedIgnored(view('10.0.0.9', ['x-forwarded-for']))
  d.forwardedIgnored(view('10.0.0.9', ['x-forwarded-for']))
  d.forwardedIgnored(view('10.0.0.8', []))
  t.equal(lines.length, 1)
  t.match(lines[0]?.obj.hint, /not in --trusted-proxies/)
  t.equal(lines[0]?.level, 'info')
})
