// src/hermes/lent-answers.ts
// A worker's large answers (a long conversation's megabytes) handed to the event loop in shared
// memory that stays in place, instead of a new buffer each time. Each buffer the loop receives is
// memory outside V8's heap, and megabytes of it arriving several times a second had the main
// isolate run a full collection about every 200 ms, whose incremental steps set the p99 of
// /api/status next to such reads (benchmark's large home, each request's own latency: 2.0 ms with
// a new buffer per answer, 0.8 ms with none, 0.6 ms alone). A slot is allocated once, lent for one
// answer, and given back when the response that sent it has finished or closed; its memory stays
// (as large as the largest answer written into it).
//
// Both sides of the worker use this module: the loop owns the slots (createSlots), the worker
// writes into the one a job was lent (writeLent).

import { MAX_CACHED_ANSWER } from './native-reads.js'

/**
 * Only answers larger than this go into a slot: the answer cache keeps answers up to this size,
 * and must never keep bytes whose memory is lent again.
 */
export const LENT_ABOVE_BYTES = MAX_CACHED_ANSWER
/** A larger answer is transferred as before (rare: a conversation of thousands of long messages). */
export const SLOT_BYTES = 8 * 1024 * 1024
/**
 * Answers being sent at once from shared memory; one more (a fifth slow client) is transferred. A
 * slot's memory is taken from the system only as it is first written.
 */
export const SLOT_COUNT = 4

export interface Slot { readonly index: number, readonly memory: SharedArrayBuffer }

export interface Slots {
  /** A free slot, or null when all are lent. */
  take (): Slot | null
  /** The slot free again. */
  give (index: number): void
  /** How many are lent now. */
  readonly lent: number
}

/** The loop's side: slots of SLOT_BYTES, each allocated the first time it is taken. */
export function createSlots (count = SLOT_COUNT, bytes = SLOT_BYTES): Slots {
  const memory: Array<SharedArrayBuffer | undefined> = new Array(count)
  const taken = new Array<boolean>(count).fill(false)
  let lent = 0
  return {
    take () {
      const index = taken.indexOf(false)
      if (index < 0) return null
      taken[index] = true
      lent++
      memory[index] ??= new SharedArrayBuffer(bytes)
      return { index, memory: memory[index] }
    },
    give (index) {
      if (taken[index] !== true) return
      taken[index] = false
      lent--
    },
    get lent () { return lent },
  }
}

const encoder = new TextEncoder()

/** A job's answer: JSON text, or its UTF-8 bytes in parts (a long conversation's, SQLite's). */
export type Answer = string | readonly Uint8Array[]

const byteLength = (parts: readonly Uint8Array[]): number => parts.reduce((n, p) => n + p.length, 0)

/** Copies the parts one after another to the start of `into`; answers their length. */
function putParts (into: Uint8Array, parts: readonly Uint8Array[]): number {
  let at = 0
  for (const part of parts) {
    into.set(part, at)
    at += part.length
  }
  return at
}

/**
 * The worker's side: the answer as UTF-8 into the slot, when it is larger than LENT_ABOVE_BYTES and
 * fits; answers its length in bytes, or null (then it is to be transferred).
 */
export function writeLent (slot: Uint8Array, answer: Answer): number | null {
  if (typeof answer !== 'string') {
    const length = byteLength(answer)
    return length <= LENT_ABOVE_BYTES || length > slot.length ? null : putParts(slot, answer)
  }
  // A UTF-16 length is never more than the UTF-8 one: shorter strings are small answers.
  if (answer.length <= LENT_ABOVE_BYTES || answer.length > slot.length) return null
  const { read, written } = encoder.encodeInto(answer, slot)
  return read === answer.length ? written : null
}

/** The answer as UTF-8 in memory of its own, to be transferred. */
export function ownBytes (answer: Answer): Uint8Array<ArrayBuffer> {
  if (typeof answer === 'string') return encoder.encode(answer)
  const bytes = new Uint8Array(byteLength(answer))
  putParts(bytes, answer)
  return bytes
}
