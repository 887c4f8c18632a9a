// test/actions.test.ts
// Actions run the real command line of a Hermes stand-in (test/fixtures/hermes.mjs) detached, with the
// Python server's log files and header lines, and the status poller follows them to the end.

import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer, type HttpResult } from './helpers/peer.js'
import { startServer, TEST_TOKEN, type Running } from './helpers/server.js'

const peer = localPeer()
const AUTH = { 'X-Hermes-Session-Token': TEST_TOKEN }

interface Status { name: string, running: boolean, exit_code: number | null, pid: number | null, lines: string[] }

async function status (s: Running, name: string, lines = 400): Promise<Status> {
  const r = await peer.http({ url: `${s.url}/api/actions/${name}/status?lines=${lines}`, headers: AUTH })
  if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body}`)
  return json<Status>(r)
}

/** Polls the status the way the update modal does, until the action ends (bounded). */
async function untilDone (s: Running, name: string): Promise<Status> {
  for (let i = 0; i < 200; i++) {
    const st = await status(s, name)
    if (!st.running) return st
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${name} still running after 200 polls`)
}

function post (s: Running, path: string, headers: Record<string, string> = AUTH): Promise<HttpResult> {
  return peer.http({ url: `${s.url}${path}`, method: 'POST', headers })
}

t.test('hermes update: spawn, follow the log to the end, exit code', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const hold = join(home.dir, 'release-update')
  const s = await startServer(t, { hermesHome: home.dir }, { HERMES_FIXTURE_HOLD: hold, PATH: process.env.PATH ?? '' })

  const started = await post(s, '/api/hermes/update')
  t.equal(started.status, 200)
  const body = json<{ ok: boolean, pid: number, name: string }>(started)
  t.equal(body.ok, true)
  t.equal(body.name, 'hermes-update')
  t.type(body.pid, 'number')

  // Held by the fixture until the file exists: the poller must see it running, with its log so far.
  let st = await status(s, 'hermes-update')
  for (let i = 0; i < 200 && !st.lines.some((l) => l.startsWith('Fetching')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    st = await status(s, 'hermes-update')
  }
  t.equal(st.running, true, 'running while the fixture is held')
  t.equal(st.exit_code, null)
  t.equal(st.pid, body.pid)
  t.match(st.lines.find((l) => l.startsWith('===')), /^=== hermes-update started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d ===$/, 'the Python server\'s header line')
  const envLine = st.lines.find((l) => l.startsWith('hermes update:')) ?? ''
  t.match(envLine, /noninteractive=1/, 'HERMES_NONINTERACTIVE=1')
  t.match(envLine, new RegExp(`home=${home.dir}`), 'HERMES_HOME passed on')
  t.match(envLine, /token_in_env=false/, 'the session token is not handed to actions')

  const again = json<{ pid: number }>(await post(s, '/api/hermes/update'))
  t.equal(again.pid, body.pid, 'a second start while running reuses the running one')

  writeFileSync(hold, '')
  const done = await untilDone(s, 'hermes-update')
  t.equal(done.exit_code, 0)
  t.equal(done.pid, body.pid)
  t.equal(done.lines[done.lines.length - 1], 'Update complete.')
  t.ok(done.lines.includes('ünïcödé line ✓'), 'UTF-8 kept')
  t.ok(done.lines.includes('50%') && done.lines.includes('100%'), 'carriage returns split lines')

  const five = await status(s, 'hermes-update', 5)
  t.equal(five.lines.length, 5, 'lines= limits the tail')
  t.same(five.lines, done.lines.slice(-5))

  const log = readFileSync(join(home.dir, 'logs', 'hermes-update.log'), 'utf8')
  t.ok(log.startsWith('\n=== hermes-update started '), 'log file under HERMES_HOME/logs, Python file name')
})

t.test('a failing update reports its exit code; runs append to one log', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir }, { HERMES_FIXTURE_EXIT: '3' })
  t.equal((await post(s, '/api/hermes/update')).status, 200)
  const first = await untilDone(s, 'hermes-update')
  t.equal(first.exit_code, 3)
  t.equal((await post(s, '/api/hermes/update')).status, 200)
  const second = await untilDone(s, 'hermes-update')
  t.equal(second.exit_code, 3)
  t.equal(second.lines.filter((l) => l.startsWith('=== hermes-update started')).length, 2, 'both runs in the log')
})

t.test('gateway actions and profiles', async (t) => {
  const home = createFixtureHome({ profiles: ['alice'] })
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })

  t.equal((await post(s, '/api/gateway/restart?profile=alice')).status, 200)
  const restart = await untilDone(s, 'gateway-restart')
  t.equal(restart.exit_code, 0)
  t.ok(restart.lines.some((l) => l.startsWith('hermes gateway restart profile=alice')), '-p alice before the subcommand')
  t.equal(readFileSync(join(home.dir, 'gateway-fixture-last.txt'), 'utf8'), 'restart alice\n')

  for (const verb of ['start', 'stop']) {
    const r = await post(s, `/api/gateway/${verb}`)
    t.equal(json(r).name, `gateway-${verb}`)
    const st = await untilDone(s, `gateway-${verb}`)
    t.ok(st.lines.some((l) => l.startsWith(`hermes gateway ${verb} profile=default`)), `${verb} without a profile`)
    t.ok(existsSync(join(home.dir, 'logs', `gateway-${verb}.log`)))
  }

  const missing = await post(s, '/api/gateway/restart?profile=nobody')
  t.equal(missing.status, 404)
  t.equal(json(missing).error, 'profile_not_found')
  t.equal(json(missing).detail, "Profile 'nobody' does not exist.")
  const bad = await post(s, '/api/gateway/restart?profile=../alice')
  t.equal(bad.status, 400)
  t.equal(json(bad).error, 'profile_invalid')
})

t.test('status of actions never started, unknown names, and the lines parameter', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  writeFileSync(join(home.dir, 'logs', 'action-doctor.log'), 'one\ntwo\nthree\n')
  const s = await startServer(t, { hermesHome: home.dir })

  const doctor = await status(s, 'doctor')
  t.same(doctor, { name: 'doctor', running: false, exit_code: null, pid: null, lines: ['one', 'two', 'three'] }, 'a known action\'s log from an earlier run')
  t.same((await status(s, 'gateway-restart')).lines, [], 'no log yet: no lines')

  const unknown = await peer.http({ url: `${s.url}/api/actions/nope/status`, headers: AUTH })
  t.equal(unknown.status, 404)
  t.equal(json(unknown).detail, 'Unknown action: nope')

  t.equal((await status(s, 'doctor', 0)).lines.length, 1, 'lines=0 is clamped to 1')
  t.equal((await status(s, 'doctor', 999999)).lines.length, 3, 'lines above 2000 are clamped')
  for (const bad of ['abc', '-5', '1e3', '2.5', '']) {
    const r = await peer.http({ url: `${s.url}/api/actions/doctor/status?lines=${bad}`, headers: AUTH })
    t.equal(r.status, 400, `lines=${bad}`)
    t.equal(json(r).error, 'query_invalid')
  }
})

t.test('spawn failure is a 500 with a reason, and nothing is left running', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir, hermesCommand: '/nonexistent/hermes' })
  const r = await post(s, '/api/hermes/update')
  t.equal(r.status, 500)
  t.equal(json(r).error, 'action_spawn_failed')
  t.match(json(r).detail, /Failed to start hermes-update/)
  const st = await status(s, 'hermes-update')
  t.equal(st.running, false)
  t.ok(st.lines.some((l) => l.includes('Failed to start /nonexistent/hermes')), 'the failure is in the log the modal shows')
})

t.test('actions need a credential; the poller passes with the cookie alone', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  const anonymous = await post(s, '/api/hermes/update', {})
  t.equal(anonymous.status, 401)
  t.equal(json(anonymous).error, 'token_missing')

  const page = await peer.http({ url: `${s.url}/` })
  const cookie = String(page.headers['set-cookie']).split(';')[0] as string
  const polled = await peer.http({ url: `${s.url}/api/actions/hermes-update/status`, headers: { Cookie: cookie } })
  t.equal(polled.status, 200, 'GET with the page\'s cookie, without the header (the update modal)')
  const cookieOnlyPost = await post(s, '/api/hermes/update', { Cookie: cookie })
  t.equal(cookieOnlyPost.status, 403, 'a state change on the cookie alone needs same-origin evidence')
  t.equal(json(cookieOnlyPost).error, 'same_origin_required')
  const fromPage = await post(s, '/api/hermes/update', { Cookie: cookie, Origin: s.url, 'Sec-Fetch-Site': 'same-origin' })
  t.equal(fromPage.status, 200, 'from the page itself it passes')
  await untilDone(s, 'hermes-update')
})
