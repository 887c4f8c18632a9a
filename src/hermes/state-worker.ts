// src/hermes/state-worker.ts
// The worker thread the heavy state.db reads run on (analytics over every session and message of a
// period), with read-only handles of its own, so the event loop keeps answering meanwhile. It runs
// only the functions named in JOBS, on files the main thread checked through the home door.

import type BetterSqlite3 from 'better-sqlite3'
import { statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { parentPort } from 'node:worker_threads'
import { analyticsModels, analyticsUsage } from './analytics.js'
import { HermesAnswer, sessionMessages } from './sessions-read.js'
import type { Contract } from './contract.js'

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

// Each answers the JSON text of its body: a string crosses to the main thread without a copy of
// every object, and is sent as it is.
const JOBS = {
  usage: (db: BetterSqlite3.Database, j: Job) => JSON.stringify(analyticsUsage(db, j.contract, j.days ?? 30, j.now)),
  // Capabilities come from Hermes' models.dev cache, which the main thread reads and fills in.
  models: (db: BetterSqlite3.Database, j: Job) => JSON.stringify(analyticsModels(db, j.contract, j.days ?? 30, j.now, () => ({}))),
  messages: (db: BetterSqlite3.Database, j: Job) => JSON.stringify(sessionMessages(db, j.contract, j.sessionId ?? '', j.limit ?? null, j.offset ?? 0)),
}

// A heavy read scans all of messages. With the file mapped, SQLite reads its pages where the kernel
// keeps them instead of copying each into a cache of its own (on the large benchmark home, analytics
// in about 175 ms instead of 215). Mapped only while a job runs: a mapping left in place keeps the
// whole file counted in the process's RSS (679 MiB there), though it is the kernel's file cache.
const MMAP_BYTES = 1024 * 1024 * 1024

function mapped<T> (db: BetterSqlite3.Database, fn: () => T): T {
  db.pragma(`mmap_size = ${MMAP_BYTES}`)
  try {
    return fn()
  } finally {
    db.pragma('mmap_size = 0')
  }
}

const handles = new Map<string, { db: BetterSqlite3.Database, key: string }>()
function handle (path: string): BetterSqlite3.Database {
  const st = statSync(path)
  const key = `${st.dev}:${st.ino}`
  const known = handles.get(path)
  if (known !== undefined && known.key === key) return known.db
  known?.db.close()
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1000 })
  handles.set(path, { db, key })
  return db
}

parentPort?.on('message', (j: Job) => {
  try {
    const db = handle(j.path)
    parentPort?.postMessage({ id: j.id, ok: true, value: mapped(db, () => JOBS[j.job](db, j)) })
  } catch (err) {
    const answer = err instanceof HermesAnswer ? { status: err.status, body: err.body } : undefined
    parentPort?.postMessage({ id: j.id, ok: false, error: { message: (err as Error).message, code: (err as { code?: string }).code, answer } })
  }
})
