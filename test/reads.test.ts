// test/reads.test.ts
// The native read routes while Hermes writes, and under bad input:
// - another process writes sessions and messages into state.db in WAL mode, in transactions, as
//   Hermes does, while the dashboard lists, searches and reads them: no error reaches a client, the
//   counts only grow, and at the end everything written is seen;
// - the state.db file replaced under the dashboard (a restore): the new one is read;
// - a large state.db has the read worker's thread started as the server listens, a small one not;
// - ids and names with traversal, wrong types, absurd paging values, huge search strings, FTS5
//   syntax: a clear 4xx with a reason code or Hermes' own answer, never a 500, and the server keeps
//   serving.

import t from 'tap'
import { spawn } from 'node:child_process'
import Database from 'better-sqlite3'
import { readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { withTimeout } from './helpers/pty-client.js'
import { startCli, startServer, TEST_TOKEN } from './helpers/server.js'
import { WARM_WORKER_BYTES } from '../src/hermes/read-worker.js'
// @ts-expect-error: a plain ES module shared with the benchmark
import { makeLogs, makeStateDb } from './fixtures/make-hermes-home.mjs'

const peer = localPeer()
const AUTH = { 'X-Hermes-Session-Token': TEST_TOKEN }

// The writer: Hermes' way of writing (WAL, BEGIN IMMEDIATE, a session then its messages), N rounds.
const WRITER = `
const Database = require(process.argv[1] + '/node_modules/better-sqlite3')
const db = new Database(process.argv[2])
db.pragma('journal_mode = WAL')
db.pragma('busy_timeout = 5000')
const rounds = Number(process.argv[3])
const addS = db.prepare("INSERT INTO sessions (id, source, model, started_at, message_count, title) VALUES (?, 'cli', 'm', ?, ?, ?)")
const addM = db.prepare('INSERT INTO messages (session_id, role, content, tool_calls, timestamp) VALUES (?, ?, ?, ?, ?)')
const skill = JSON.stringify([{ id: 'c', type: 'function', function: { name: 'skill_view', arguments: JSON.stringify({ name: 'live-skill' }) } }])
for (let i = 0; i < rounds; i++) {
  const id = 'live_' + String(i).padStart(5, '0')
  db.transaction(() => {
    addS.run(id, Date.now() / 1000, 4, 'live session ' + i)
    for (let m = 0; m < 4; m++) addM.run(id, m % 2 ? 'assistant' : 'user', 'concurrent writer zebraword ' + i + ' message ' + m + ' ' + 'x'.repeat(200), m === 1 ? skill : null, Date.now() / 1000 + m)
  })()
}
db.close()
process.stdout.write('WRITER_DONE\\n')
`

t.test('Hermes writing while the dashboard reads: no error reaches a client, nothing is lost', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const db = join(home.dir, 'state.db')
  makeStateDb(db, { schema: 21, sessions: 40, messagesPerSession: 6 })
  const s = await startServer(t, { hermesHome: home.dir }, { HERMES_FIXTURE_VERSION: '0.18.2' })
  for (let i = 0; i < 100 && json(await peer.http({ url: `${s.url}/api/status` })).version !== '0.18.2'; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const ROUNDS = 300
  const failures: string[] = []
  let lastSkill = 0
  let midway = 0
  // Analytics' skill count of what the writer wrote: its tallies are kept between requests and
  // brought up to date from what Hermes wrote since.
  const liveSkill = async (): Promise<number> => {
    const r = await peer.http({ url: `${s.url}/api/analytics/usage?days=30`, headers: AUTH })
    if (r.status !== 200) failures.push(`analytics ${r.status} ${r.body.slice(0, 200)}`)
    return r.status === 200 ? json<{ skills: { top_skills: Array<{ skill: string, view_count: number }> } }>(r).skills.top_skills.find((x) => x.skill === 'live-skill')?.view_count ?? 0 : lastSkill
  }
  t.equal(await liveSkill(), 0, 'no skill call of the writer yet (the read worker started)')
  const writer = spawn(process.execPath, ['-e', WRITER, (await import('./helpers/paths.js')).PROJECT_ROOT, db, String(ROUNDS)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let writerErr = ''
  writer.stderr.on('data', (c: Buffer) => { writerErr += c.toString() })
  const finished = new Promise<number | null>((resolve) => writer.once('exit', resolve))
  let done = false
  void finished.then(() => { done = true })
  let lastTotal = 0
  let reads = 0
  // Bounded: the writer finishes in seconds; at most 2000 rounds of reads.
  for (let i = 0; i < 2000 && !done; i++) {
    const [list, search, stats, skill] = await Promise.all([
      peer.http({ url: `${s.url}/api/sessions?limit=20&order=recent`, headers: AUTH }),
      peer.http({ url: `${s.url}/api/sessions/search?q=zebraword`, headers: AUTH }),
      peer.http({ url: `${s.url}/api/sessions/stats`, headers: AUTH }),
      liveSkill(),
    ])
    for (const r of [list, search, stats]) if (r.status !== 200) failures.push(`${r.status} ${r.body.slice(0, 200)}`)
    if (skill < lastSkill) failures.push(`the skill count went back from ${lastSkill} to ${skill}`)
    if (skill > 0 && skill < ROUNDS) midway++
    lastSkill = skill
    const total = json<{ total: number }>(list).total
    if (total < lastTotal) failures.push(`the total went back from ${lastTotal} to ${total}`)
    lastTotal = total
    const newest = json<{ sessions: Array<{ id: string }> }>(list).sessions[0]?.id
    if (newest?.startsWith('live_') === true) {
      const m = await peer.http({ url: `${s.url}/api/sessions/${newest}/messages`, headers: AUTH })
      if (m.status !== 200) failures.push(`messages ${m.status}`)
      // A session is written with its messages in one transaction: never seen half written.
      else if (json<{ messages: unknown[] }>(m).messages.length !== 4) failures.push(`${newest} seen with ${json<{ messages: unknown[] }>(m).messages.length} of its 4 messages`)
    }
    reads++
  }
  t.equal(await withTimeout(finished, 60_000, 'writer'), 0, `the writer finished (${writerErr.slice(0, 200)})`)
  t.strictSame(failures, [], `${reads} rounds of reads while it wrote: no error, nothing half written`)
  t.ok(reads >= 3, `reads overlapped the writes (${reads} rounds)`)
  const final = json<{ total: number, messages: number }>(await peer.http({ url: `${s.url}/api/sessions/stats`, headers: AUTH }))
  const live = json<{ total: number }>(await peer.http({ url: `${s.url}/api/sessions?limit=1&source=cli&min_messages=4`, headers: AUTH }))
  t.ok(final.total >= 40 + ROUNDS, `every session written is counted (${final.total})`)
  t.ok(live.total >= ROUNDS, 'and listed')
  const found = json<{ results: unknown[] }>(await peer.http({ url: `${s.url}/api/sessions/search?q=zebraword&limit=100`, headers: AUTH }))
  t.equal(found.results.length, 100, 'and found by search (100, the most one answer holds)')
  t.ok(midway > 0, `analytics counted part of what was written while it wrote (${midway} rounds)`)
  t.equal(await liveSkill(), ROUNDS, 'and counts every skill call written, at the end')

  // The file replaced, as a restore would: the new database is read, not the old handle's.
  const other = join(home.dir, 'state-new.db')
  makeStateDb(other, { schema: 21, sessions: 5, messagesPerSession: 2, seed: 9 })
  // As a restore does it, with Hermes stopped: the old write-ahead log goes with the old file.
  for (const suffix of ['-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true })
  renameSync(other, db)
  const after = json<{ total: number }>(await peer.http({ url: `${s.url}/api/sessions/stats`, headers: AUTH }))
  t.ok(after.total < 20, `the replaced file is read (${after.total} sessions)`)
})

t.test('bad input on the read routes: a clear 4xx, never a 500, and the server keeps serving', async (t) => {
  const home = createFixtureHome({ profiles: ['alice'] })
  t.teardown(home.remove)
  makeStateDb(join(home.dir, 'state.db'), { schema: 21, sessions: 12 })
  makeLogs(home.dir)
  const s = await startServer(t, { hermesHome: home.dir }, { HERMES_FIXTURE_VERSION: '0.18.2' })
  for (let i = 0; i < 100 && json(await peer.http({ url: `${s.url}/api/status` })).version !== '0.18.2'; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const cases: Array<[string, number[], string | null]> = [
    ['/api/sessions/..%2F..%2Fetc%2Fpasswd', [404], null],
    // The router takes no dot segments as an id: the path is Hermes' own (503 with no backend behind).
    ['/api/sessions/%2e%2e/messages', [404, 503], null],
    [`/api/sessions/${'a'.repeat(300)}`, [404], null],
    ['/api/sessions/%00/messages', [404], null],
    ['/api/sessions?limit=abc', [400], 'query_invalid'],
    ['/api/sessions?limit=1e3', [400], 'query_invalid'],
    ['/api/sessions?offset=-5', [200], null],
    [`/api/sessions?limit=${'9'.repeat(40)}`, [400], 'query_invalid'],
    ['/api/sessions?limit=999999999999999', [200], null],
    ['/api/sessions?order=sideways', [400], null],
    ['/api/sessions?archived=maybe', [400], null],
    ['/api/sessions?full=perhaps', [400], 'query_invalid'],
    ['/api/sessions?profile=..%2F..%2Fetc', [400], 'profile_invalid'],
    ['/api/sessions?profile=nobody', [404], 'profile_not_found'],
    ['/api/sessions/search?q=%22unbalanced', [200], null],
    ['/api/sessions/search?q=AND%20OR%20NOT', [200], null],
    ['/api/sessions/search?q=a*b*%20%5E%7B%7D(%3A', [200], null],
    ['/api/sessions/search?q=NEAR(a%20b)', [200], null],
    [`/api/sessions/search?q=${'x'.repeat(9000)}`, [400, 414, 431], null],
    ['/api/sessions/search?q=%E6%97%A5%E6%9C%AC%E8%AA%9E', [200], null],
    ['/api/sessions/search?limit=-1&q=proxy', [200], null],
    ['/api/sessions/x/messages?limit=abc', [400, 404], null],
    ['/api/analytics/usage?days=abc', [400], 'query_invalid'],
    ['/api/analytics/usage?days=-5', [200], null],
    ['/api/analytics/usage?days=36500000', [200], null],
    ['/api/logs?file=..%2F..%2Fetc%2Fpasswd', [400], null],
    ['/api/logs?file=agent&lines=abc', [400], 'query_invalid'],
    ['/api/logs?file=agent&component=nope', [400], null],
    ['/api/logs?file=agent&lines=-3', [200], null],
    ['/api/logs?file=mcp', [200], null],
  ]
  for (const [path, statuses, reason] of cases) {
    const r = await peer.http({ url: `${s.url}${path}`, headers: AUTH })
    t.ok(statuses.includes(r.status), `${path.slice(0, 70)}: ${r.status}`)
    if (reason !== null) t.equal(json(r).error, reason, `${path.slice(0, 70)}: ${reason}`)
    t.notMatch(r.body, /root:x:0/, 'no file outside is read')
  }
  t.equal((await peer.http({ url: `${s.url}/api/sessions?limit=3`, headers: AUTH })).status, 200, 'still serving')
})

t.test('a large state.db has the read worker started, and its insights read, as the server starts; a small one waits for the first heavy read', async (t) => {
  const threads = (pid: number): number => readdirSync(`/proc/${pid}/task`).length
  const counts: Record<string, number> = {}
  for (const size of ['small', 'large'] as const) {
    const home = createFixtureHome()
    t.teardown(home.remove)
    const path = join(home.dir, 'state.db')
    makeStateDb(path, { schema: 11, sessions: 4 })
    if (size === 'large') {
      // One long tool output makes the file as large as a home of thousands of sessions.
      const db = new Database(path)
      db.prepare("INSERT INTO messages (session_id, role, content, timestamp) SELECT id, 'tool', ?, started_at + 1 FROM sessions LIMIT 1").run('x'.repeat(WARM_WORKER_BYTES + 1024 * 1024))
      db.close()
    }
    t.equal(statSync(path).size >= WARM_WORKER_BYTES, size === 'large', `${size}: state.db of ${statSync(path).size} bytes`)
    const run = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir, '--hermes-command', 'true', '--hermes-backend', 'off', '--log-level', 'debug'], { HERMES_DASHBOARD_SESSION_TOKEN: TEST_TOKEN })
    t.equal((await peer.http({ url: `http://127.0.0.1:${run.port}/api/status`, headers: AUTH })).status, 200)
    // The worker's thread is made when it is started; wait a bounded time for the count to settle.
    let n = threads(run.child.pid as number)
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      n = threads(run.child.pid as number)
    }
    counts[size] = n
    // The warmed worker has also opened the file (its own read-only handle, beside the main
    // thread's) and read it: its tallies of every message are made as the server starts.
    const pid = run.child.pid as number
    const real = realpathSync(path)
    const handles = (): number => readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === real } catch { return false }
    }).length
    let opened = handles()
    for (let i = 0; i < 40 && opened < (size === 'large' ? 2 : 1); i++) { // bounded: 2 s
      await new Promise((resolve) => setTimeout(resolve, 50))
      opened = handles()
    }
    t.equal(opened, size === 'large' ? 2 : 1, `${size}: state.db open ${opened === 1 ? 'once (the main thread\'s handle)' : `${opened} times`}`)
    // A heavy read maps the file while it runs, and not after: an idle dashboard's RSS does not
    // count the file (the line ends with the file's own path, not its -shm).
    const mapped = (): boolean => readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').some((l) => l.endsWith(` ${real}`))
    t.equal((await peer.http({ url: `http://127.0.0.1:${run.port}/api/analytics/usage?days=30`, headers: AUTH })).status, 200)
    let gone = !mapped()
    for (let i = 0; i < 40 && !gone; i++) { // bounded: 2 s
      await new Promise((resolve) => setTimeout(resolve, 50))
      gone = !mapped()
    }
    t.ok(gone, `${size}: the file is not mapped once the reads are answered`)
    // The worker (started by now on both homes) runs nicer than the rest of the server, so on a
    // busy machine the event loop gets the CPU first; no other thread is reniced.
    const niceOf = (tid: string): number => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[16])
    const main = niceOf(String(pid))
    const nicer = readdirSync(`/proc/${pid}/task`).map(niceOf).filter((n) => n !== main)
    t.same(nicer, [Math.min(19, main + 10)], `${size}: one thread, the read worker, runs at nice ${Math.min(19, main + 10)} (the server's threads: ${main})`)
    await run.stop()
    t.equal(/"event":"reads\.worker_warmed"/.test(run.stdout() + run.stderr()), size === 'large', `${size}: the warm start is logged ${size === 'large' ? 'once' : 'not at all'}`)
  }
  t.ok((counts.large as number) > (counts.small as number), `threads: more on the large home (${JSON.stringify(counts)})`)
})
