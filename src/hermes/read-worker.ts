// src/hermes/read-worker.ts
// The main thread's side of state-worker.ts: one worker, started on the first heavy read (or warmed
// before it), its jobs answered in order by id; a worker that dies is replaced at the next job.

import { statSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { DashboardError } from '../errors.js'
import type { ProfileDir } from './home.js'
import { HermesAnswer } from './sessions-read.js'
import type { Job } from './state-worker.js'

/** From this size of a profile's state.db, the read worker starts with the server (warm()). */
export const WARM_WORKER_BYTES = 32 * 1024 * 1024

/** The checked path of the profile's state.db when it is that large; null otherwise. */
export function largeStateDb (profile: ProfileDir): string | null {
  try {
    const path = profile.regularFile('state.db')
    return path !== null && (statSync(path, { throwIfNoEntry: false })?.size ?? 0) >= WARM_WORKER_BYTES ? path : null
  } catch (err) {
    // One the door refuses (a FIFO, a link out of the home) is reported by the read that needs it.
    if (err instanceof DashboardError) return null
    throw err
  }
}

export type JobInput = Omit<Job, 'id'>

export interface ReadWorker {
  /** The JSON text the job's function answered, as UTF-8 bytes. */
  run (job: JobInput): Promise<Buffer>
  /** Start the thread now, before the first job needs it, and have it read that state.db's insights. */
  warm (path: string | null): void
  close (): Promise<void>
}

export function createReadWorker (file: URL): ReadWorker {
  let worker: Worker | null = null
  let next = 1
  const pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  const prepared = new Set<string>()
  const start = (): Worker => {
    const w = new Worker(file)
    w.on('message', (m: { id: number, ok: boolean, value?: Uint8Array, error?: { message: string, code?: string, answer?: { status: number, body: unknown } } }) => {
      const p = pending.get(m.id)
      pending.delete(m.id)
      if (m.ok) {
        const bytes = m.value as Uint8Array
        p?.resolve(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      }
      else if (m.error?.answer !== undefined) p?.reject(new HermesAnswer(m.error.answer.status, m.error.answer.body))
      else p?.reject(Object.assign(new Error(m.error?.message ?? 'worker job failed'), { code: m.error?.code }))
    })
    const fail = (err: Error): void => {
      for (const p of pending.values()) p.reject(err)
      pending.clear()
      if (worker === w) worker = null
    }
    w.on('error', fail)
    w.on('exit', (code) => fail(new Error(`state worker exited (${code})`)))
    w.unref()
    return w
  }
  return {
    run (job) {
      worker ??= start()
      const id = next++
      return new Promise<Buffer>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        ;(worker as Worker).postMessage({ ...job, id })
      })
    },
    warm (path) {
      worker ??= start()
      if (path === null || prepared.has(path)) return
      prepared.add(path)
      // Nothing waits for it: a file that cannot be read is the first read's to report.
      this.run({ job: 'prepare', path, contract: 'v0.13', now: 0 }).catch(() => {}) // contract, now: not read by prepare
    },
    async close () {
      const w = worker
      worker = null
      if (w !== null) await w.terminate()
    },
  }
}
