// src/http/sliced-body.ts
// A large body that is already in memory, written in slices with a turn of the event loop between
// them. Written whole, the kernel takes a long conversation's 2.3 MB in one call on a fast
// connection, and the loop answers nobody for that millisecond; sliced, the other requests go in
// between. Slices of 256 KiB: each turn costs the loop too, and on the benchmark's large home the
// p99 of /api/status's own latencies next to such reads was 1.0 ms with them, 1.3 with 64 KiB and
// 1.7 with 16 KiB (counting the requests a stall held back, the three were alike).
// Bytes in shared memory (a worker's lent answer) always go as a stream: Fastify sends only bytes
// of an ArrayBuffer as they are (others it would serialise as JSON).

import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'

/** From this size a body is written in slices; smaller ones go in one write, as before. */
export const SLICED_FROM_BYTES = 256 * 1024
export const SLICE_BYTES = 256 * 1024

async function * slices (bytes: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
    await nextTurn()
    yield bytes.subarray(at, at + SLICE_BYTES)
  }
}

/** The body as it is, or, from SLICED_FROM_BYTES or in shared memory, a stream of its slices (its length is the caller's to send). */
export function slicedBody (bytes: Buffer): Buffer | Readable {
  return bytes.length < SLICED_FROM_BYTES && bytes.buffer instanceof ArrayBuffer ? bytes : Readable.from(slices(bytes), { objectMode: false })
}
