// src/hermes/read-worker.ts
// The main thread's side of state-worker.ts: one worker, started on the first heavy read (or warmed
// before it), its jobs answered in order by id; a worker that dies is replaced at the next job.

import { Worker } from 'node:worker_threads'
import { HermesAnswer } from './sessions-read.js'
import type { Job } from './state-worker.js'

export type JobInput = Omit<Job, 'id'>

export interface ReadWorker {
  /** The JSON text the job's function answered. */
  run (job: JobInput): Promise<string>
  /** Start the thread now, before the first job needs it. */
  warm (): void
  close (): Promise<void>
}

export function createReadWorker (file: URL): ReadWorker {
  let worker: Worker | null = null
  let next = 1
  const pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  const start = (): Worker => {
    const w = new Worker(file)
    w.on('message', (m: { id: number, ok: boolean, value?: unknown, error?: { message: string, code?: string, answer?: { status: number, body: unknown } } }) => {
      const p = pending.get(m.id)
      pending.delete(m.id)
      if (m.ok) p?.resolve(m.value)
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
      return new Promise<string>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        ;(worker as Worker).postMessage({ ...job, id })
      })
    },
    warm () {
      worker ??= start()
    },
    async close () {
      const w = worker
      worker = null
      if (w !== null) await w.terminate()
    },
  }
}
