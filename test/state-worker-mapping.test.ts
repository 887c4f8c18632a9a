// test/state-worker-mapping.test.ts
// The read worker maps state.db while its jobs run and drops the mapping once none is queued
// (src/hermes/state-worker.ts): jobs sent together (the start's scan, then the first Analytics and
// messages reads queued behind it) run on one mapping, made once and dropped once, and the file is
// not left mapped after them. The real worker thread, on a real file of Hermes' schema, under
// strace, which counts the calls that map the file and drop it.

import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PROJECT_ROOT } from './helpers/paths.js'
import { requireProgram } from './helpers/requirements.js'
// @ts-expect-error: a plain ES module shared with the benchmark
import { makeStateDb } from './fixtures/make-hermes-home.mjs'

const run = promisify(execFile)

// Sends `jobs` at once, waits for every answer, then for the loop to go idle; prints the answers' oks.
const DRIVER = `
const { Worker } = require('node:worker_threads')
const [file, path] = process.argv.slice(1)
const w = new Worker(new URL(file))
const now = Date.now() / 1000
const jobs = [
  { job: 'prepare', path, contract: 'v0.13', now: 0 },
  { job: 'usage', path, contract: 'v0.13', days: 30, now },
  { job: 'messages', path, contract: 'v0.13', sessionId: 'absent', limit: null, offset: 0, now },
]
const oks = []
w.on('message', (m) => {
  oks.push(m.ok || (m.error.answer !== undefined ? 'answer ' + m.error.answer.status : m.error.message))
  if (oks.length === jobs.length) setTimeout(() => { console.log(JSON.stringify(oks)); w.terminate() }, 300)
})
jobs.forEach((j, i) => w.postMessage({ id: i + 1, ...j }))
`

t.test('jobs sent together share one mapping of state.db, dropped once after them', async (t) => {
  if (!requireProgram(t, 'strace', 'apt-get install strace')) return
  const dir = mkdtempSync(join(tmpdir(), 'hd-mapping-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'state.db')
  makeStateDb(path, { schema: 11, sessions: 40, messagesPerSession: 20, toolShare: 0.5 })
  const size = statSync(path).size
  const trace = join(dir, 'trace')
  const worker = new URL('file://' + join(PROJECT_ROOT, 'dist', 'hermes', 'state-worker.js')).href
  const { stdout } = await run('strace', ['-f', '-qq', '-e', 'trace=mmap,munmap', '-o', trace, process.execPath, '-e', DRIVER, worker, path], { timeout: 60_000 })
  t.same(JSON.parse(stdout), [true, true, 'answer 404'], 'the three jobs answered (the absent session: its 404)')
  // SQLite maps the whole file, shared and read-only: mmap(NULL, <size>, PROT_READ, MAP_SHARED, fd, 0).
  const lines = readFileSync(trace, 'utf8').split('\n')
  const maps = lines.filter((l) => new RegExp(`mmap\\(NULL, ${size}, PROT_READ, MAP_SHARED, \\d+, 0\\)`).test(l))
  const drops = lines.filter((l) => new RegExp(`munmap\\(0x[0-9a-f]+, ${size}\\)`).test(l))
  t.equal(maps.length, 1, `the file (${size} bytes) mapped once for the three jobs`, { maps })
  t.equal(drops.length, 1, '... and the mapping dropped once, after them', { drops })
})
