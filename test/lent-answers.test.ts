// test/lent-answers.test.ts
// A long conversation's messages come from the read worker in a slot of shared memory, and the
// slot is given back when the response that sent it is done: answered whole, answered to a HEAD,
// or cut off by a client that goes away mid-answer. More readers at once than slots: the others are
// transferred, every answer the same. A worker replaced is sent the slots' memory again. The
// dashboard in this process on a real socket, the real worker thread, a real state.db.

import t from 'tap'
import Database from 'better-sqlite3'
import { connect } from 'node:net'
import { join } from 'node:path'
import { createSlots } from '../src/hermes/lent-answers.js'
import { createReadWorker } from '../src/hermes/read-worker.js'
import { STATE_WORKER_FILE } from '../src/package-files.js'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { startServer, TEST_TOKEN } from './helpers/server.js'
// @ts-expect-error: a plain ES module shared with the benchmark
import { makeStateDb } from './fixtures/make-hermes-home.mjs'

const peer = localPeer()
const AUTH = { 'X-Hermes-Session-Token': TEST_TOKEN }
const MESSAGES = 1200

/** A home whose `long` session's messages are about 6 MB of JSON: more than a socket takes at once. */
function longHome (): { dir: string, remove: () => void } {
  const home = createFixtureHome()
  const path = join(home.dir, 'state.db')
  makeStateDb(path, { schema: 11, sessions: 3 })
  const db = new Database(path)
  db.prepare("INSERT INTO sessions (id, source, model, started_at, message_count, title) VALUES ('long', 'cli', 'm', ?, ?, 'long')").run(Date.now() / 1000 - 60, MESSAGES)
  const add = db.prepare("INSERT INTO messages (session_id, role, content, timestamp) VALUES ('long', ?, ?, ?)")
  db.transaction(() => {
    for (let i = 0; i < MESSAGES; i++) add.run(i % 2 === 0 ? 'user' : 'assistant', `message ${i} ${'ü'.repeat(2500)}`, Date.now() / 1000 - 60 + i)
  })()
  db.close()
  return home
}

/** Waits (bounded: 2 s) for the worker's lent slots to come down to `n`. */
async function lentComesTo (worker: { readonly lent: number }, n: number): Promise<number> {
  for (let i = 0; i < 100 && worker.lent !== n; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return worker.lent
}

t.test('a long conversation is lent from shared memory, and its slot comes back however the response ends', async (t) => {
  const home = longHome()
  t.teardown(home.remove)
  const worker = createReadWorker(STATE_WORKER_FILE, createSlots(2, 8 * 1024 * 1024))
  t.teardown(() => worker.close())
  const s = await startServer(t, { hermesHome: home.dir }, {}, { readWorker: worker })
  const url = `${s.url}/api/sessions/long/messages`

  const first = await peer.http({ url, headers: AUTH })
  t.equal(first.status, 200)
  t.equal(first.headers['x-hermes-dashboard-source'], 'native')
  const body = json<{ messages: Array<{ content: string }> }>(first)
  t.equal(body.messages.length, MESSAGES, 'every message')
  t.equal(body.messages[MESSAGES - 1]?.content, `message ${MESSAGES - 1} ${'ü'.repeat(2500)}`, 'the last one whole')
  t.ok(Buffer.byteLength(first.body) > 5 * 1024 * 1024, `${Buffer.byteLength(first.body)} bytes`)
  t.equal(Number(first.headers['content-length']), Buffer.byteLength(first.body), 'with its length')
  t.equal(await lentComesTo(worker, 0), 0, 'answered: the slot is back')

  // Five at once, two slots: three are transferred; all the same bytes.
  const many = await Promise.all(Array.from({ length: 5 }, (_, i) => peer.http({ url: `${url}?n=${i}`, headers: AUTH })))
  for (const r of many) t.ok(r.status === 200 && r.body === first.body, 'five at once: the same answer')
  t.equal(await lentComesTo(worker, 0), 0, 'five answered: both slots back')

  const head = await peer.http({ url, method: 'HEAD', headers: AUTH })
  t.equal(head.status, 200)
  t.equal(await lentComesTo(worker, 0), 0, 'a HEAD: the slot is back')

  // A client that asks and then reads nothing: the answer waits on the socket, with its slot.
  const sock = connect(s.port, '127.0.0.1')
  sock.on('error', () => {})
  sock.pause()
  sock.write(`GET /api/sessions/long/messages?gone=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hermes-Session-Token: ${TEST_TOKEN}\r\n\r\n`)
  t.equal(await lentComesTo(worker, 1), 1, 'a client that reads nothing: its answer holds a slot')
  sock.destroy()
  t.equal(await lentComesTo(worker, 0), 0, 'the client gone mid-answer: the slot is back')

  const after = await peer.http({ url: `${url}?after=1`, headers: AUTH })
  t.equal(after.body, first.body, 'the slot lent again: the same answer')
  t.equal(await lentComesTo(worker, 0), 0)
})

t.test('the worker lends only large answers; a replaced worker gets the slots\' memory again', async (t) => {
  const home = longHome()
  t.teardown(home.remove)
  const worker = createReadWorker(STATE_WORKER_FILE, createSlots(1, 8 * 1024 * 1024))
  t.teardown(() => worker.close())
  // The worker does not keep a process alive (a server's socket does); this test has none.
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(alive))
  const path = join(home.dir, 'state.db')
  const job = { job: 'messages', path, contract: 'v0.13', now: Date.now() / 1000, sessionId: 'long', limit: null, offset: 0 } as const

  const owned = await worker.run(job)
  const lent = await worker.lend(job)
  t.ok(lent.bytes.buffer instanceof SharedArrayBuffer, 'a large answer: in shared memory')
  t.ok(lent.bytes.equals(owned), 'the same bytes as a transferred one')
  t.equal(worker.lent, 1)
  const second = await worker.lend(job)
  t.notOk(second.bytes.buffer instanceof SharedArrayBuffer, 'no slot free: transferred')
  t.ok(second.bytes.equals(owned))
  t.equal(second.release, null, 'an owned answer: nothing to give back')
  t.equal(worker.lent, 1)
  lent.release?.()
  lent.release?.()
  t.equal(worker.lent, 0, 'released (twice): the slot is back once')

  const db = new Database(path, { readonly: true })
  const other = (db.prepare("SELECT id FROM sessions WHERE id != 'long' LIMIT 1").get() as { id: string }).id
  db.close()
  const small = await worker.lend({ ...job, sessionId: other })
  t.ok(JSON.parse(small.bytes.toString('utf8')).messages.length > 0, 'a short conversation')
  t.notOk(small.bytes.buffer instanceof SharedArrayBuffer, 'a small answer: transferred, no slot')
  t.equal(worker.lent, 0)

  // A new thread after the old one has gone: sent the slot's memory with its first lent job.
  await worker.close()
  const again = await worker.lend(job)
  t.ok(again.bytes.buffer instanceof SharedArrayBuffer, 'the replaced worker writes into the slot too')
  t.ok(again.bytes.equals(owned))
  again.release?.()
  t.equal(worker.lent, 0)
})
