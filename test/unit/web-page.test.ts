// test/unit/web-page.test.ts
// The built-in page's pure parts, run in Node: what each close code tells the person and whether
// the page reconnects by itself (for every code and reason the server sends, from src/errors.ts),
// the backoff, the words made from server documents; and a check of the source that no module but
// client.js builds a URL, reads the token or the base path, or opens a connection.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { ERRORS } from '../../src/errors.js'
import { PROJECT_ROOT } from '../helpers/paths.js'

interface CloseInfo { kind: string, title: string, text: string, action: string | null, reason: string, code: number }
interface Closes {
  describeClose (code: number, reason: string, feed: 'chat' | 'events', opened?: boolean): CloseInfo
  describeProbe (err: { status?: number, reason?: string | null, message?: string, hint?: string | null }): CloseInfo | null
  reasonCode (reason: string): string
  retryDelay (attempt: number, random?: () => number): number
}
interface Text {
  summarizeEvent (text: string): { type: string, line: string }
  gatewayText (s: Record<string, unknown>): string
  connectionRows (x: unknown): Array<[string, unknown]>
}

const ASSETS = join(PROJECT_ROOT, 'web', 'src', 'assets')
const closes = await import(pathToFileURL(join(ASSETS, 'closes.js')).href) as Closes
const text = await import(pathToFileURL(join(ASSETS, 'text.js')).href) as Text

t.test('every refusal the server can send stops the page and names the reason', async (t) => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    if (spec.close < 4400 || spec.close >= 4500 || spec.close === 4409 || spec.close === 4410) continue
    for (const feed of ['chat', 'events'] as const) {
      const info = closes.describeClose(spec.close, spec.reason, feed)
      t.equal(info.kind, 'refused', `${code} (${spec.close} ${spec.reason}) on ${feed}: no reconnect loop`)
      t.equal(info.reason, spec.reason)
      t.equal(info.code, spec.close)
      t.match(info.text, spec.reason, 'the text carries the server\'s reason')
      t.not(info.action, 'reconnect')
    }
  }
  t.equal(closes.describeClose(4401, 'token_invalid', 'chat').action, 'reload', '4401: reload for the new token')
  t.match(closes.describeClose(4401, 'token_invalid', 'chat').text, /restarted with a new token/)
  t.match(closes.describeClose(4403, 'host_not_allowed', 'events').text, /--allowed-hosts/)
  t.match(closes.describeClose(4408, 'peer_not_allowed', 'chat').text, /--trusted-proxies/)
  t.equal(closes.describeClose(4403, 'origin_not_allowed', 'chat').action, 'connection')
})

t.test('chat closes: superseded, exited, failed; what reconnects by itself', async (t) => {
  t.same(pick(closes.describeClose(4409, 'superseded', 'chat')), { kind: 'superseded', action: 'take-over' })
  const exited = closes.describeClose(4410, 'process_exited code=3', 'chat')
  t.same(pick(exited), { kind: 'exited', action: 'new-chat' })
  t.match(exited.text, /exited with code 3/)
  t.same(pick(closes.describeClose(1000, 'exited code=0', 'chat')), { kind: 'exited', action: 'new-chat' }, 'a chat without attach ends with 1000')
  const unavailable = closes.describeClose(1011, 'chat_unavailable: hermes: not found on PATH', 'chat')
  t.same(pick(unavailable), { kind: 'failed', action: 'retry' })
  t.equal(unavailable.reason, 'chat_unavailable')
  t.match(unavailable.text, /--chat-command[\s\S]*hermes: not found on PATH/)
  t.match(closes.describeClose(1011, 'chat_registry_full', 'chat').text, /Too many chats/)
  t.equal(closes.describeClose(1009, 'frame_too_large', 'chat').kind, 'failed')
  for (const [code, reason] of [[1001, 'server_shutdown'], [1006, ''], [1012, ''], [1013, 'subscriber_too_slow'], [1011, 'internal_error']] as const) {
    t.equal(closes.describeClose(code, reason, 'events').kind, 'retry', `events ${code} ${reason}: reconnects`)
  }
  t.equal(closes.describeClose(1006, '', 'chat').kind, 'retry', 'a dropped chat connection reconnects')
  t.equal(closes.describeClose(1001, 'server_shutdown', 'chat').title, 'The dashboard is restarting')
  t.equal(closes.reasonCode('process_exited code=0'), 'process_exited')
  t.equal(closes.reasonCode(''), '')
  t.equal(closes.reasonCode('<b>'), '', 'only a reason code is taken as one')
})

t.test('a socket that never opens: the page keeps trying, then asks the server why', async (t) => {
  const never = closes.describeClose(1006, '', 'chat', false)
  t.equal(never.kind, 'retry')
  t.equal(never.title, 'Cannot open a WebSocket')
  const lost = closes.describeProbe({ status: 426, reason: 'upgrade_required', message: '/api/pty is a WebSocket endpoint', hint: 'proxy_set_header Upgrade $http_upgrade;' })
  t.same(pick(lost as CloseInfo), { kind: 'failed', action: 'retry' }, 'a lost upgrade stops the retries: it will not mend itself')
  t.match(lost?.text, /without its WebSocket upgrade[\s\S]*proxy_set_header Upgrade/, 'with the server\'s hint')
  const refused = closes.describeProbe({ status: 401, reason: 'token_invalid', message: 'not this server\'s token', hint: 'Reload the page.' })
  t.same(pick(refused as CloseInfo), { kind: 'refused', action: 'reload' })
  t.match(refused?.text, /token_invalid/)
  t.equal(closes.describeProbe({ status: 403, reason: 'host_not_allowed', message: 'x' })?.action, 'connection')
  t.equal(closes.describeProbe({ message: 'Failed to fetch' }), null, 'a network error tells nothing: keep trying')
  t.equal(closes.describeProbe({ status: 502, reason: null, message: 'Bad Gateway' }), null, 'nor does a proxy\'s 502')
})

t.test('backoff: doubling from 0.5 s to 30 s, with jitter inside ±20 %', async (t) => {
  t.same([0, 1, 2, 3, 6, 7, 40].map((a) => closes.retryDelay(a, () => 0.5)), [500, 1000, 2000, 4000, 30000, 30000, 30000])
  t.equal(closes.retryDelay(0, () => 0), 400)
  t.equal(closes.retryDelay(0, () => 1), 600)
})

t.test('words from server documents', async (t) => {
  const delta = text.summarizeEvent(JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'message.delta', payload: { text: 'hi' } } }))
  t.same(delta, { type: 'message.delta', line: 'hi', params: { type: 'message.delta', payload: { text: 'hi' } } })
  t.equal(text.summarizeEvent('not json').type, 'text', 'anything not JSON is shown as text')
  t.equal(text.summarizeEvent('x'.repeat(1000)).line.length, 300, 'and cut')
  t.equal(text.gatewayText({ gateway_running: true, gateway_state: 'running', gateway_pid: 42 }), 'running, pid 42')
  t.equal(text.gatewayText({ gateway_running: false, gateway_state: 'stopped' }), 'not running (stopped)')
  const rows = Object.fromEntries(text.connectionRows({
    mode: 'proxy',
    client: '198.51.100.7',
    peer: { address: '10.0.0.2', loopback: false, trusted_proxy: true },
    forwarded: { read: true, sent: ['x-forwarded-for'], hops: ['198.51.100.7', '10.0.0.2'] },
    request: { scheme: 'https' },
    host: { raw: 'internal:9119' },
    forwarded_host: { raw: 'dash.example.test' },
    base_path: '/hermes',
    credentials: { header: 'valid', cookie: 'absent', ignoredAuthorization: 'Basic' },
    identity: null,
    verdicts: { protected_rest: { allow: true, via: 'token' }, websocket: { allow: false, reason: 'origin_not_allowed', status: 403, close_code: 4403 } },
    settings: { trusted_proxies: ['10.0.0.2'], allowed_hosts: [] },
  }))
  t.equal(rows['Connection from'], '10.0.0.2 (a trusted proxy)')
  t.equal(rows['Forwarded chain'], '198.51.100.7 → 10.0.0.2')
  t.equal(rows['Address used'], 'https://dash.example.test/hermes/', 'the trusted X-Forwarded-Host and prefix')
  t.equal(rows.Credentials, 'header: valid', 'absent credentials and the proxy\'s Authorization are not listed')
  t.equal(rows.WebSockets, 'refused: origin_not_allowed (403 / close 4403)')
  t.equal(rows['Signed-in user'], null, 'no identity: the row is left out')
})

t.test('only client.js builds URLs, holds the token and base path, and opens connections', async (t) => {
  const modules = readdirSync(ASSETS).filter((f) => f.endsWith('.js'))
  t.ok(modules.length >= 10, `${modules.length} modules`)
  const forbidden = [/\bfetch\s*\(/, /new\s+WebSocket\s*\(/, /__HERMES_(SESSION_TOKEN|BASE_PATH)__/, /location\.(host|origin|protocol)\b/, /X-Hermes-Session-Token/i]
  for (const file of modules) {
    const source = readFileSync(join(ASSETS, file), 'utf8')
    const hits = forbidden.filter((re) => re.test(source)).map(String)
    if (file === 'client.js') t.equal(hits.length, forbidden.length, 'client.js does all of it')
    else t.same(hits, [], `${file} goes through client.js`)
  }
})

function pick (info: CloseInfo): { kind: string, action: string | null } {
  return { kind: info.kind, action: info.action }
}
