// src/hermes/read-worker.ts
// The main thread's side of state-worker.ts: one worker, started on the first heavy read (or warmed
// before it), its jobs answered in order by id; a worker that dies is replaced at the next job.

import { statSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { DashboardError } from '../errors.js'
import type { ProfileDir } from './home.js'
import { createSlots, type Slot, type Slots } from './lent-answers.js'
import { HermesAnswer } from './sessions-read.js'
import type { Job, JobMessage, Reply } from './state-worker.js'

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

/** An answer's bytes: a large one's lent (shared memory) until `release()`; the caller's own if `release` is null. */
export interface AnswerBytes {
  readonly bytes: Buffer
  readonly release: (() => void) | null
}

export interface ReadWorker {
  /** The JSON text the job's function answered, as UTF-8 bytes the caller keeps. */
  run (job: JobInput): Promise<Buffer>
  /**
   * The same, for an answer that is sent and let go: a large one comes in a slot of shared memory,
   * the caller's until it calls release() (once the response that sent it has finished or closed).
   */
  lend (job: JobInput): Promise<AnswerBytes>
  /** Slots lent now. */
  readonly lent: number
  /** Start the thread now, before the first job needs it, and have it read that state.db's insights. */
  warm (path: string | null): void
  close (): Promise<void>
}

export function createReadWorker (file: URL, slots: Slots = createSlots()): ReadWorker {
  let worker: Worker | null = null
  let next = 1
  const pending = new Map<number, { resolve: (v: Buffer | number) => void, reject: (e: Error) => void }>()
  const prepared = new Set<string>()
  // The slots whose memory the running worker has been sent (a replaced worker is sent them again).
  let known = new Set<number>()
  const start = (): Worker => {
    const w = new Worker(file)
    known = new Set()
    w.on('message', (m: Reply) => {
      const p = pending.get(m.id)
      pending.delete(m.id)
      if (m.ok) p?.resolve(m.lent ?? Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength))
      else if (m.error.answer !== undefined) p?.reject(new HermesAnswer(m.error.answer.status, m.error.answer.body))
      else p?.reject(Object.assign(new Error(m.error.message), { code: m.error.code }))
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
  /** Resolves with the answer's bytes, or with their length in the slot the job was lent. */
  const post = (job: JobInput, slot: Slot | null): Promise<Buffer | number> => {
    worker ??= start()
    const id = next++
    const message: JobMessage = { ...job, id }
    if (slot !== null) {
      message.slot = slot.index
      if (!known.has(slot.index)) message.memory = slot.memory
      known.add(slot.index)
    }
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      ;(worker as Worker).postMessage(message)
    })
  }
  return {
    async run (job) {
      return await post(job, null) as Buffer
    },
    async lend (job) {
      const slot = slots.take()
      if (slot === null) return { bytes: await post(job, null) as Buffer, release: null }
      let answer: Buffer | number
      try {
        answer = await post(job, slot)
      } catch (err) {
        slots.give(slot.index)
        throw err
      }
      if (typeof answer !== 'number') {
        slots.give(slot.index)
        return { bytes: answer, release: null }
      }
      // Once only: given twice, the second would free the slot of whichever answer took it since.
      let given = false
      return {
        bytes: Buffer.from(slot.memory, 0, answer),
        release: () => {
          if (given) return
          given = true
          slots.give(slot.index)
        },
      }
    },
    get lent () { return slots.lent },
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
