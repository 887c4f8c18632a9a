// test/bad-input.test.ts
// Bad input gets a clear 4xx or close code, the server keeps serving, and no file outside the places
// it belongs to is read: the real command line runs under strace, and every file it opens while the
// bad requests arrive is checked.

import t from 'tap'
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFixtureHome } from './helpers/home.js'
import { rawHttp } from './helpers/raw-http.js'
import { json, localPeer } from './helpers/peer.js'
import { PtyClient, withTimeout } from './helpers/pty-client.js'
import { frame, rawWebSocket } from './helpers/raw-ws.js'
import { requireProgram } from './helpers/requirements.js'
import { chatFixture, gatewayFixture, HERMES_FIXTURE, startCli, startServer, TEST_TOKEN } from './helpers/server.js'
import { PROJECT_ROOT } from './helpers/paths.js'

const peer = localPeer()
const AUTH = { 'X-Hermes-Session-Token': TEST_TOKEN }

t.test('bad input: clear refusals, the server keeps serving, nothing outside HERMES_HOME/logs is read', async (t) => {
  if (!requireProgram(t, 'strace', 'apt-get install strace')) return
  const home = createFixtureHome({ sessions: { active: 1, ended: 0, stale: 0 } })
  t.teardown(home.remove)
  writeFileSync(join(home.dir, 'secret.txt'), 'canary-secret-in-home')
  writeFileSync(join(home.dir, 'logs', 'action-doctor.log'), 'doctor ran\n')
  const outside = mkdtempSync(join(tmpdir(), 'hd-outside-'))
  writeFileSync(join(outside, 'hermes-update.log'), 'canary-outside-log')
  const traceDir = mkdtempSync(join(tmpdir(), 'hd-strace-'))
  const trace = join(traceDir, 'trace.txt')
  t.teardown(() => { for (const d of [outside, traceDir]) rmSync(d, { recursive: true, force: true }) })
  const cli = await startCli(t, ['--port', '0', '--no-open', '--trusted-proxies', 'loopback', '--hermes-home', home.dir, '--hermes-command', HERMES_FIXTURE, '--hermes-backend', 'off', '--log-level', 'error',
    '--chat-command', chatFixture(randomUUID()), '--gateway-command', gatewayFixture(randomUUID())],
    { HERMES_DASHBOARD_SESSION_TOKEN: TEST_TOKEN, HOME: home.dir },
    ['strace', '-f', '-qq', '-e', 'trace=open,openat,openat2,execve,clone,clone3,fork,vfork', '-o', trace])
  const base = `http://127.0.0.1:${cli.port}`
  const alive = async (what: string): Promise<void> => {
    const r = await peer.http({ url: `${base}/api/status` })
    t.equal(r.status, 200, `still serving after ${what}`)
  }

  // A marker: the first file opened after it is this log, so everything later in the trace is ours.
  const marker = await peer.http({ url: `${base}/api/actions/doctor/status`, headers: AUTH })
  t.same(json(marker).lines, ['doctor ran'])

  // ── action names never become paths ──
  for (const name of ['..%2F..%2F..%2Fetc%2Fpasswd', '..%2F..%2Fsecret.txt', 'hermes-update%2F..%2F..%2Fsecret.txt', '%2e%2e%2fsecret.txt',
    'hermes-update.log', '%2e%2e%2f%2e%2e', '%00', 'a'.repeat(4000), encodeURIComponent(outside + '/hermes-update')]) {
    const r = await peer.http({ url: `${base}/api/actions/${name}/status`, headers: AUTH })
    // A name too long for the router's parameter falls to the /api/ wildcard: Hermes' own (503 with no backend).
    t.ok(r.status === 404 || r.status === 414 || (r.status === 503 && json(r).error === 'backend_off'), `action name ${name.slice(0, 40)} → ${r.status}`)
    t.notMatch(r.body, /canary|root:x:0/, 'no file content leaks')
  }
  for (const path of ['/api/actions/../../etc/passwd/status', '/api/actions/./../secret.txt/status']) {
    const line = (await rawHttp(cli.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hermes-Session-Token: ${TEST_TOKEN}\r\nConnection: close\r\n\r\n`)).statusLine
    t.match(line, /^HTTP\/1\.1 (400|404)/, `raw ${path}`)
  }
  for (const [q, why] of [['lines=abc', 'not a number'], ['lines=-5', 'negative'], ['lines=1e3', 'exponent'], ['lines=%00', 'NUL'], ['lines=' + '9'.repeat(40), 'huge']] as const) {
    const r = await peer.http({ url: `${base}/api/actions/hermes-update/status?${q}`, headers: AUTH })
    t.equal(r.status, 400, `lines ${why}`)
    t.equal(json(r).error, 'query_invalid')
  }
  for (const profile of ['..%2F..%2Fetc', '..', 'A-Upper', '%2Fetc']) {
    const r = await peer.http({ url: `${base}/api/gateway/restart?profile=${profile}`, method: 'POST', headers: AUTH })
    t.equal(r.status, 400, `profile ${profile}`)
    t.equal(json(r).error, 'profile_invalid')
    const st = await peer.http({ url: `${base}/api/status?profile=${profile}` })
    t.equal(st.status, 400, `status profile ${profile}`)
  }
  await alive('bad names')

  // ── static files: no way out of the web root ──
  for (const path of ['/..%2F..%2F..%2F..%2Fetc%2Fpasswd', '/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/%2e%2e%2f%2e%2e%2fpackage.json']) {
    const r = await peer.http({ url: `${base}${path}` })
    t.notMatch(r.body, /root:x:0|"name": "hermes-dashboard"/, `${path} does not leave the web root`)
  }

  // ── absurd headers ──
  const huge = await peer.http({ url: `${base}/api/status`, headers: { 'X-Junk': 'x'.repeat(100_000) } })
  t.equal(huge.status, 431, 'a 100 KB header: 431 from the HTTP parser')
  const longHost = await peer.http({ url: `${base}/api/status`, headers: { Host: 'h'.repeat(9000) } })
  t.equal(longHost.status, 403)
  t.equal(json(longHost).error, 'host_not_allowed')
  const longOrigin = await peer.http({ url: `${base}/api/status`, headers: { Origin: `http://${'o'.repeat(9000)}.test` } })
  t.equal(json(longOrigin).error, 'origin_not_allowed')
  const longToken = await peer.http({ url: `${base}/api/actions/doctor/status`, headers: { 'X-Hermes-Session-Token': 't'.repeat(9000) } })
  t.equal(json(longToken).error, 'token_invalid')
  const manyHops = await peer.http({ url: `${base}/api/status`, headers: { 'X-Forwarded-For': Array.from({ length: 40 }, (_, i) => `198.51.100.${i}`).join(', ') } })
  t.equal(manyHops.status, 400)
  t.equal(json(manyHops).error, 'forwarded_header_invalid')
  const longPrefix = await peer.http({ url: `${base}/`, headers: { 'X-Forwarded-Prefix': '/' + 'p'.repeat(300) } })
  t.equal(longPrefix.status, 400, 'an over-long X-Forwarded-Prefix')
  for (const prefix of ['/a;Domain=evil.example', '/a,b', '/a=b', '/a%2e%2e']) {
    const r = await peer.http({ url: `${base}/`, headers: { 'X-Forwarded-Prefix': prefix } })
    t.equal(r.status, 400, `X-Forwarded-Prefix ${prefix}: 400`)
    t.equal(r.headers['set-cookie'], undefined, `X-Forwarded-Prefix ${prefix}: no cookie`)
  }
  for (const target of ['http://127.0.0.1/api/status', 'https://evil.example/', '*']) {
    t.match((await rawHttp(cli.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)).statusLine, /^HTTP\/1\.1 400/, `request target ${target}: 400`)
  }
  t.match((await rawHttp(cli.port, 'GARBAGE\r\n\r\n')).statusLine, /^HTTP\/1\.1 400/, 'a malformed request line')
  t.match((await rawHttp(cli.port, 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n')).statusLine, /^HTTP\/1\.1 (400|403)/, 'two Host headers')
  await alive('absurd headers')

  // ── malformed WebSocket frames ──
  const pub = `/api/pub?channel=bad&token=${TEST_TOKEN}`
  const cases: Array<[string, Buffer, number]> = [
    ['invalid UTF-8 in a text frame', frame(0x1, Buffer.from([0xc3, 0x28, 0xff])), 1007],
    ['reserved bit without an extension', frame(0x1, Buffer.from('hi'), { rsv1: true }), 1002],
    ['an unmasked client frame', frame(0x1, Buffer.from('hi'), { masked: false }), 1002],
    ['an unknown opcode', frame(0x3, Buffer.from('hi')), 1002],
    ['a 64 MiB frame announced', Buffer.alloc(0), 1009],
  ]
  for (const [what, bytes, code] of cases) {
    const ws = await rawWebSocket(cli.port, pub)
    if (code === 1009) {
      // Header only: 127-length form announcing 64 MiB; the server must refuse before any payload.
      const header = Buffer.alloc(14)
      header[0] = 0x81
      header[1] = 0x80 | 127
      header.writeBigUInt64BE(64n * 1024n * 1024n, 2)
      ws.write(header)
    } else {
      ws.write(bytes)
    }
    t.equal(await ws.closeCode(), code, what)
    ws.socket.destroy()
  }
  await alive('malformed frames')

  // ── the native read routes (state.db, logs): ids, names and queries that could name files ──
  const readCases: Array<[string, string | null]> = [
    ['/api/sessions/..%2F..%2Fetc%2Fpasswd', null],
    [`/api/sessions/${encodeURIComponent('../../secret.txt')}/messages`, null],
    ['/api/sessions/%00/messages', null],
    ['/api/sessions?limit=abc', 'query_invalid'],
    [`/api/sessions?limit=${'9'.repeat(40)}`, 'query_invalid'],
    ['/api/sessions?profile=..%2F..%2Fetc', 'profile_invalid'],
    [`/api/sessions?profile=${encodeURIComponent(outside)}`, 'profile_invalid'],
    ['/api/sessions/search?q=%22unbalanced%20NEAR(a%20b)%20*', null],
    [`/api/sessions/search?q=${encodeURIComponent('../../secret.txt')}`, null],
    ['/api/analytics/usage?days=abc', 'query_invalid'],
    ['/api/logs?file=..%2F..%2Fetc%2Fpasswd', null],
    [`/api/logs?file=${encodeURIComponent(outside + '/hermes-update')}`, null],
    ['/api/logs?file=agent&lines=abc', 'query_invalid'],
  ]
  for (const [path, reason] of readCases) {
    const r = await peer.http({ url: `${base}${path}`, headers: AUTH })
    t.ok(r.status >= 200 && r.status < 500, `${path.slice(0, 60)}: ${r.status}, not a 5xx`)
    if (reason !== null) t.equal(json(r).error, reason, `${path.slice(0, 60)}: ${reason}`)
    t.notMatch(r.body, /canary|root:x:0/, 'no file content leaks')
  }
  const logsOut = await peer.http({ url: `${base}/api/logs?file=..%2F..%2Fetc%2Fpasswd`, headers: AUTH })
  t.equal(logsOut.status, 400, 'a log file name that is a path: 400')
  await alive('hostile read parameters')

  // ── the chat and the gateway: parameters that could name files ──
  const chatUrl = (q: string): string => `ws://127.0.0.1:${cli.port}/api/pty?token=${TEST_TOKEN}&${q}`
  const chatCases: Array<[string, string, number, string | null]> = [
    ['a resume id that is a path', `resume=${encodeURIComponent('../../etc/passwd')}`, 1011, 'query_invalid'],
    ['a profile that is a path', `profile=${encodeURIComponent('../../etc')}`, 1011, 'profile_invalid'],
    ['a profile that is an absolute path', `profile=${encodeURIComponent(outside)}`, 1011, 'profile_invalid'],
    ['a channel that is a path (ignored)', `channel=${encodeURIComponent('../../secret.txt')}`, 0, null],
    ['the channel ".." (a valid name, not a path)', 'channel=..&attach=dots', 0, null],
    ['the channel ".." again: its breadcrumb is read', 'channel=..', 0, null],
  ]
  for (const [what, q, code, reason] of chatCases) {
    const c = new PtyClient(chatUrl(q))
    if (code === 0) {
      await c.waitFor('hermes> ')
      t.pass(`${what}: the chat starts`)
      await c.close()
    } else {
      t.same(await withTimeout(c.closed, 10_000, what), { code, reason }, `${what}: ${code} ${reason ?? ''}`)
    }
  }
  const gw = new PtyClient(`ws://127.0.0.1:${cli.port}/api/ws?token=${TEST_TOKEN}&profile=${encodeURIComponent('../../etc')}`)
  t.same(await withTimeout(gw.closed, 10_000, 'gateway profile'), { code: 4400, reason: 'profile_invalid: "../../etc" is not a profile name' }, 'a gateway profile that is a path: 4400')
  await alive('hostile chat parameters')

  // strace passes on the exit status of the dashboard it runs; stop the dashboard itself.
  const dashboardPid = Number(execFileSync('pgrep', ['-P', String(cli.child.pid)], { encoding: 'utf8' }).trim().split('\n')[0])
  process.kill(dashboardPid, 'SIGTERM')
  const code = await new Promise<number | null>((resolve) => cli.child.once('exit', (c) => resolve(c)))
  t.equal(code, 0, 'clean exit on SIGTERM')

  // ── what the dashboard process opened after the marker (its children, such as the version probe,
  //    are other programs and are left out: a tid is theirs when it, or what it was cloned from, exec'd) ──
  const lines = readFileSync(trace, 'utf8').split('\n')
  const parent = new Map<number, number>()
  const execed = new Set<number>()
  const opens: Array<[number, string]> = []
  for (const l of lines) {
    // strace pads the pid column: "1496  openat(…" and "14960 openat(…" alike.
    const m = /^(\d+)\s+(.*)$/.exec(l)
    if (m === null) continue
    const tid = Number(m[1])
    const rest = m[2] as string
    const cloned = /^(?:<\.\.\. )?(?:clone3?|vfork|fork)\b.*= (\d+)$/.exec(rest)
    if (cloned !== null) parent.set(Number(cloned[1]), tid)
    if (/^execve\(/.test(rest)) execed.add(tid)
    const open = /^open(?:at2?)?\((?:AT_FDCWD, )?"([^"]*)"/.exec(rest)
    if (open !== null) opens.push([tid, open[1] as string])
  }
  const root = Number(/^(\d+) /.exec(lines[0] ?? '')?.[1])
  const isChild = (tid: number): boolean => {
    for (let cur: number | undefined = tid; cur !== undefined; cur = parent.get(cur)) {
      if (cur !== root && execed.has(cur)) return true
    }
    return false
  }
  const own = opens.filter(([tid]) => !isChild(tid)).map(([, path]) => path)
  const start = own.indexOf(join(home.dir, 'logs', 'action-doctor.log'))
  t.ok(start !== -1, 'the marker is in the trace')
  const after = own.slice(start)
  t.ok(after.length > 1, `files opened after the marker: ${after.length}`)
  const webRoot = join(PROJECT_ROOT, 'web', 'dist')
  const allowedInHome = [join(home.dir, 'logs') + '/', join(home.dir, 'config.yaml'), join(home.dir, 'state.db'), join(home.dir, 'gateway.pid'), join(home.dir, 'gateway_state.json')]
  // /api/status lists the home's profiles (the directory itself, never a file inside it).
  const homeDirs = [join(home.dir, 'profiles')]
  // The program's own code loads lazily (better-sqlite3's addon on the first state.db read), and the
  // test harness records process info at exit; neither is something a request chose.
  const ownCode = [join(PROJECT_ROOT, 'node_modules') + '/', join(PROJECT_ROOT, 'dist') + '/', join(PROJECT_ROOT, '.tap') + '/', join(PROJECT_ROOT, 'package.json'), '/dev/urandom']
  // The read worker's thread starting (the first analytics or messages read): Node sizes its heap
  // from the memory limits and CPUs, and maps its own executable. Fixed paths, none from a request.
  const runtime = ['/proc/self/cgroup', '/proc/self/maps', '/proc/meminfo', '/sys/fs/cgroup/', '/sys/devices/system/cpu/', process.execPath]
  // A chat needs a terminal, and its breadcrumb files live in the server's own private directory.
  const chatFiles = ['/dev/ptmx', '/dev/pts/', join(tmpdir(), 'hermes-dashboard-chat-')]
  const stray = after.filter((p) => !(allowedInHome.some((a) => p.startsWith(a)) || homeDirs.includes(p) || p.startsWith(webRoot + '/') || p === webRoot ||
    ownCode.some((a) => p.startsWith(a)) || runtime.some((a) => p.startsWith(a)) || chatFiles.some((a) => p.startsWith(a))))
  t.same(stray, [], 'every file opened during the bad requests is a log, a Hermes state file, the web root, a terminal, a chat breadcrumb, the program itself or the runtime starting its worker')
  t.ok(after.some((p) => p.startsWith(join(tmpdir(), 'hermes-dashboard-chat-')) && p.endsWith('/hermes-pty-active-...json')), 'the channel ".." is a file name inside the private directory')
  t.notOk(after.some((p) => p.includes('passwd') || p.includes('secret.txt') || p.startsWith(outside)), 'no passwd, no canary, nothing outside')
})

t.test('a body over 1 MiB is refused with body_too_large; broken JSON with bad_request', async (t) => {
  const h = createFixtureHome()
  t.teardown(h.remove)
  const s = await startServer(t, { hermesHome: h.dir })
  const big = await peer.http({ url: `${s.url}/api/hermes/update`, method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(1024 * 1024 + 10) }) })
  t.equal(big.status, 413)
  t.equal(json(big).error, 'body_too_large')
  const broken = await peer.http({ url: `${s.url}/api/hermes/update`, method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{"x":' })
  t.equal(broken.status, 400)
  t.equal(json(broken).error, 'bad_request')
  t.equal((await peer.http({ url: `${s.url}/api/status` })).status, 200, 'still serving')
})
