// test/home-door.test.ts
// Issue 10 item 11 on the real server: special files and escaping directories under HERMES_HOME
// never hang start-up or freeze the server, are never read or written through, and each one is a
// clear refusal with a registry code naming the file, while everything else keeps being served.

import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { CLI } from './helpers/paths.js'
import { PtyClient, withTimeout } from './helpers/pty-client.js'
import { startChatServer, startCli, startServer, TEST_TOKEN } from './helpers/server.js'

const peer = localPeer()
const AUTH = { 'X-Hermes-Session-Token': TEST_TOKEN }

t.test('a FIFO as config.yaml: start-up says so and exits, instead of hanging', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  rmSync(join(home.dir, 'config.yaml'))
  execFileSync('mkfifo', [join(home.dir, 'config.yaml')])
  const child = spawn(process.execPath, [CLI, '--port', '0', '--no-open', '--hermes-home', home.dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const code = await withTimeout(new Promise<number | null>((resolve) => child.once('exit', resolve)), 10_000, 'start-up').catch((err: Error) => { child.kill('SIGKILL'); throw err })
  t.equal(code, 2, 'exit code 2, as for any invalid configuration')
  t.match(stderr, /config\.yaml: is a FIFO, not a regular file/, 'the message names the file and what it is')
})

t.test('FIFOs, symlinks out and a read-only home: refused by name, and the server keeps serving', async (t) => {
  const outside = mkdtempSync(join(tmpdir(), 'hd-outside-'))
  t.teardown(() => rmSync(outside, { recursive: true, force: true }))
  const { server, home } = await startChatServer(t, {}, { profiles: ['alice'] })

  // FIFOs as action logs: every start and every status poll is answered at once, none blocks.
  for (const log of ['gateway-restart.log', 'gateway-stop.log', 'gateway-start.log', 'hermes-update.log']) execFileSync('mkfifo', [join(home, 'logs', log)])
  const started = Date.now()
  const answers = await Promise.all([
    ...['restart', 'stop', 'start'].map(async (verb) => await peer.http({ url: `${server.url}/api/gateway/${verb}`, method: 'POST', headers: AUTH })),
    ...Array.from({ length: 8 }, async () => await peer.http({ url: `${server.url}/api/actions/hermes-update/status`, headers: AUTH })),
    peer.http({ url: `${server.url}/api/status` }),
  ])
  t.ok(Date.now() - started < 5000, `12 requests on FIFOs answered in ${Date.now() - started} ms`)
  for (const r of answers.slice(0, -1)) {
    t.equal(r.status, 403, 'a FIFO log: 403')
    t.equal(json(r).error, 'home_path_refused')
    t.match(String(json(r).detail), /^logs\/[a-z-]+\.log: is a FIFO, not a regular file$/, `the detail names the file: ${String(json(r).detail)}`)
  }
  t.equal(answers.at(-1)?.status, 200, 'status meanwhile')

  // logs/ symlinked out of the home: nothing is read or written there.
  rmSync(join(home, 'logs'), { recursive: true })
  writeFileSync(join(outside, 'hermes-update.log'), 'outside log line\n')
  symlinkSync(outside, join(home, 'logs'))
  const update = await peer.http({ url: `${server.url}/api/hermes/update`, method: 'POST', headers: AUTH })
  t.equal(update.status, 403, 'an action with logs/ out of the home')
  t.match(String(json(update).detail), /^logs: leads out of HERMES_HOME/)
  const poll = await peer.http({ url: `${server.url}/api/actions/hermes-update/status`, headers: AUTH })
  t.equal(poll.status, 403, 'its status poll')
  t.notMatch(poll.body, /outside log line/, 'the outside log is not read')
  t.notOk(existsSync(join(outside, 'gateway-restart.log')), 'nothing created outside')

  // A profile directory that is a symlink out of the home.
  symlinkSync(outside, join(home, 'profiles', 'evil'))
  const st = await peer.http({ url: `${server.url}/api/status?profile=evil`, headers: AUTH })
  t.equal(st.status, 403, 'status of a profile that leads out')
  t.equal(json(st).error, 'home_path_refused')
  const chat = new PtyClient(`ws://127.0.0.1:${server.port}/api/pty?profile=evil&token=${TEST_TOKEN}`)
  t.same(await withTimeout(chat.closed, 10_000, 'chat'), { code: 1011, reason: 'home_path_refused' }, 'a chat in it: 1011 home_path_refused')
  t.match(chat.texts.join(''), /profiles\/evil: leads out of HERMES_HOME/, 'the terminal says why')
  const gw = new PtyClient(`ws://127.0.0.1:${server.port}/api/ws?profile=evil&token=${TEST_TOKEN}`)
  t.match((await withTimeout(gw.closed, 10_000, 'gateway')).reason, /^home_path_refused/, 'a gateway in it')
  const ok = new PtyClient(`ws://127.0.0.1:${server.port}/api/pty?profile=alice&token=${TEST_TOKEN}`)
  await ok.waitFor('hermes> ')
  t.pass('a real profile still opens')
  await ok.close()
})

t.test('a read-only home: an action is a clear 500 with the errno, not a bare one', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'hd-ro-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', base])
  } catch {
    t.fail('REQUIREMENT MISSING: mounting a tmpfs (root) to make a read-only home')
    return
  }
  t.teardown(() => { try { execFileSync('umount', [base]) } catch {} })
  mkdirSync(join(base, 'logs'))
  writeFileSync(join(base, 'config.yaml'), 'model: x\n')
  execFileSync('mount', ['-o', 'remount,ro', base])
  const server = await startServer(t, { hermesHome: base })
  const r = await peer.http({ url: `${server.url}/api/hermes/update`, method: 'POST', headers: AUTH })
  t.equal(r.status, 500)
  t.equal(json(r).error, 'home_io_failed')
  t.match(String(json(r).detail), /^logs\/hermes-update\.log: open for writing failed: EROFS/, `the file and the errno: ${String(json(r).detail)}`)
  t.match(String(json(r).hint), /read-only/)
  t.equal((await peer.http({ url: `${server.url}/api/status` })).status, 200, 'still serving')
})

t.test('a FIFO as state.db: start-up logs no error, and the reads that need it refuse it by name', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  rmSync(join(home.dir, 'state.db'), { force: true })
  execFileSync('mkfifo', [join(home.dir, 'state.db')])
  const run = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir, '--hermes-command', 'true', '--hermes-backend', 'off', '--log-level', 'debug', '--log-format', 'json'], { HERMES_DASHBOARD_SESSION_TOKEN: TEST_TOKEN })
  const sessions = await peer.http({ url: `http://127.0.0.1:${run.port}/api/sessions`, headers: AUTH })
  t.equal(sessions.status, 403, 'a read of it: 403')
  t.equal(json(sessions).error, 'home_path_refused')
  t.equal((await peer.http({ url: `http://127.0.0.1:${run.port}/api/status`, headers: AUTH })).status, 200, 'status meanwhile')
  await run.stop()
  const errors = (run.stdout() + run.stderr()).split('\n').filter((l) => /"level":(50|60)/.test(l))
  t.same(errors, [], 'nothing at error level: the file is the read\'s to report, not start-up\'s')
})
