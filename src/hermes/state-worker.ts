// src/hermes/state-worker.ts
// The worker thread the heavy state.db reads run on (analytics over every session and message of a
// period), with read-only handles of its own, so the event loop keeps answering meanwhile. It runs
// only the functions named in JOBS, on files the main thread checked through the home door.

import type BetterSqlite3 from 'better-sqlite3'
import { readlinkSync, statSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'
import { createRequire } from 'node:module'
import { parentPort } from 'node:worker_threads'
import { analyticsModels, analyticsUsage } from './analytics.js'
import { contractOfSchema, type Contract } from './contract.js'
import { createInsights, type Insights } from './insights.js'
import { HermesAnswer, sessionMessagesJson } from './sessions-read.js'
import { type Answer, ownBytes, writeLent } from './lent-answers.js'
import { fileKey, schemaVersionOf } from './state-db.js'

// Required, not imported: a CommonJS package imported from an ES module in a worker brings Node's
// CommonJS export scanner into the thread, which held 8 MiB more of the worker's memory for good.
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3

export interface Job {
  readonly id: number
  readonly job: keyof typeof JOBS
  /** Real path of a state.db the home door checked. */
  readonly path: string
  readonly contract: Contract
  readonly days?: number
  readonly now: number
  readonly sessionId?: string
  readonly limit?: number | null
  readonly offset?: number
}

/** A job as it crosses: with the slot its answer may be written into, and that slot's memory the first time. */
export interface JobMessage extends Job {
  slot?: number
  memory?: SharedArrayBuffer
}

/** What comes back: the answer transferred, or its length in the job's slot; or the job's error. */
export type Reply =
  | { readonly id: number, readonly ok: true, readonly value: Uint8Array, readonly lent?: undefined }
  | { readonly id: number, readonly ok: true, readonly lent: number, readonly value?: undefined }
  | { readonly id: number, readonly ok: false, readonly error: { readonly message: string, readonly code?: string | undefined, readonly answer?: { readonly status: number, readonly body: unknown } | undefined } }

interface Handle { readonly db: BetterSqlite3.Database, readonly key: string, readonly insights: Map<Contract, Insights> }

/** The handle's insight tallies for a contract (v0.18 counts tools too), kept as long as the handle. */
function insightsOf (h: Handle, contract: Contract): Insights {
  let i = h.insights.get(contract)
  if (i === undefined) {
    i = createInsights(contract === 'v0.18')
    h.insights.set(contract, i)
  }
  return i
}

// Each answers the JSON text of its body (a session's messages: its UTF-8 bytes, made by SQLite),
// which crosses to the main thread as UTF-8 bytes.
const JOBS = {
  usage: (h: Handle, j: Job) => JSON.stringify(analyticsUsage(h.db, j.contract, j.days ?? 30, j.now, insightsOf(h, j.contract))),
  // Capabilities come from Hermes' models.dev cache, which the main thread reads and fills in.
  models: (h: Handle, j: Job) => JSON.stringify(analyticsModels(h.db, j.contract, j.days ?? 30, j.now, () => ({}))),
  messages: (h: Handle, j: Job): Answer => sessionMessagesJson(h.db, j.contract, j.sessionId ?? '', j.limit ?? null, j.offset ?? 0),
  // Sent as a large home's server starts: the one scan of every message that Analytics' first
  // answer would wait for is made then, for the contract of the file's schema (the only one it can
  // be answered with), and later answers read only what Hermes wrote since.
  prepare: (h: Handle) => {
    const contract = contractOfSchema(schemaVersionOf(h.db))
    if (contract !== null) insightsOf(h, contract).refresh(h.db)
    return 'null'
  },
}

// A heavy read scans all of messages. With the file mapped, SQLite reads its pages where the kernel
// keeps them instead of copying each into a cache of its own (on the large benchmark home, analytics
// in about 175 ms instead of 215). Mapped only while a job runs: a mapping left in place keeps the
// whole file counted in the process's RSS (679 MiB there), though it is the kernel's file cache.
// Dropping it takes tens of milliseconds on a large file: it is dropped after the answer is posted,
// once the jobs already queued have run with the file still mapped (the first Analytics answer of a
// large home's start waits behind the scan the start began, 30 ms later when the mapping was dropped
// and made again between the two).
const MMAP_BYTES = 1024 * 1024 * 1024
/** Handles mapped for a job, their mappings dropped once no job is queued (non-empty: the drop is scheduled). */
const mapped = new Set<BetterSqlite3.Database>()
function unmapWhenIdle (db: BetterSqlite3.Database): void {
  const scheduled = mapped.size > 0
  mapped.add(db)
  if (scheduled) return
  // After every message already queued: a port delivers those before the loop's check phase.
  setImmediate(() => {
    for (const d of mapped) if (d.open) d.pragma('mmap_size = 0')
    mapped.clear()
  })
}

/** The slots of shared memory the event loop has sent, by index. */
const slots = new Map<number, Uint8Array>()

// A file replaced (another inode) is a new handle, with tallies of its own.
const handles = new Map<string, Handle>()
function handle (path: string): Handle {
  const key = fileKey(statSync(path))
  const known = handles.get(path)
  if (known !== undefined && known.key === key) return known
  known?.db.close()
  const h = { db: new Database(path, { readonly: true, fileMustExist: true, timeout: 1000 }), key, insights: new Map() }
  handles.set(path, h)
  return h
}

/** How much nicer than the rest of the server this thread runs, where the system lets a thread be. */
const WORKER_NICENESS = 10

/**
 * Heavy reads are background work: on a small machine (a home server's two cores, shared with
 * Hermes itself) the event loop, which answers every other request, should get the CPU first. Linux
 * gives each thread a nice value of its own, named by its thread id; elsewhere (where a process id
 * would renice the whole server) nothing changes.
 */
function runNicer (): void {
  let tid: number
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
  } catch {
    return
  }
  if (!Number.isInteger(tid) || tid <= 0) return
  try {
    setPriority(tid, Math.min(19, getPriority(tid) + WORKER_NICENESS))
  } catch {
    // A sandbox that refuses it: the thread runs at the server's priority, as before.
  }
}
// The prepare job sent as a large home's server starts runs at the server's priority: nothing is
// waiting on the event loop yet, and the first Analytics answer waits on it (niced, it took 100 to
// 170 ms instead of 70 to 80 on the benchmark's large home). Every job after it runs nicer.
let nicer = false

const post = (reply: Reply, transfer: ArrayBuffer[] = []): void => parentPort?.postMessage(reply, transfer)

parentPort?.on('message', (j: JobMessage) => {
  if (j.memory !== undefined && j.slot !== undefined) slots.set(j.slot, new Uint8Array(j.memory))
  let db: BetterSqlite3.Database | null = null
  if (!nicer && j.job !== 'prepare') {
    nicer = true
    runNicer()
  }
  try {
    const h = handle(j.path)
    db = h.db
    db.pragma(`mmap_size = ${MMAP_BYTES}`)
    // Encoded here, not on the event loop (a string of 2 MiB, a long conversation's, took it 5 ms
    // to encode as it wrote it): into the job's slot when large, else into memory handed over.
    const answer = JOBS[j.job](h, j)
    const slot = j.slot === undefined ? undefined : slots.get(j.slot)
    const lent = slot === undefined ? null : writeLent(slot, answer)
    if (lent !== null) post({ id: j.id, ok: true, lent })
    else {
      const bytes = ownBytes(answer)
      post({ id: j.id, ok: true, value: bytes }, [bytes.buffer])
    }
  } catch (err) {
    const answer = err instanceof HermesAnswer ? { status: err.status, body: err.body } : undefined
    post({ id: j.id, ok: false, error: { message: (err as Error).message, code: (err as { code?: string }).code, answer } })
  }
  if (db?.open === true) unmapWhenIdle(db)
})
