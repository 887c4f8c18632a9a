// test/unit/answer-cache.test.ts
// The native reads' answer cache (src/hermes/native-reads.ts) holds a bounded number of bytes: a
// page asking for many answers (or a client varying the query string) does not have them all kept.
// The oldest answers go first; a recent one is still answered from memory; an answer of megabytes
// (a long conversation's messages) is not kept at all, nor takes room from the others. A real
// home and state.db, through the home door.

import t from 'tap'
import { createFixtureHome } from '../helpers/home.js'
import { openHermesHome } from '../../src/hermes/home.js'
import { createNativeReads, MAX_CACHED_ANSWER, MAX_CACHED_BYTES } from '../../src/hermes/native-reads.js'
import { createStateDb } from '../../src/hermes/state-db.js'

t.test('the answer cache keeps a bounded number of bytes, dropping the oldest answers first', async (t) => {
  const home = createFixtureHome({ sessions: { active: 1, ended: 1, stale: 0 } })
  t.teardown(home.remove)
  const stateDb = createStateDb()
  t.teardown(() => stateDb.close())
  const profile = openHermesHome(home.dir).profile('default')
  const reads = createNativeReads({ stateDb, hermesVersion: () => '0.13.0', backendOff: true, onForward: () => {}, ttlMs: 60_000 })
  const computed: string[] = []
  const answer = (key: string, bytes: number) => async (): Promise<Buffer> => {
    computed.push(key)
    return Buffer.alloc(bytes, 'x')
  }
  const MiB = 1024 * 1024
  const size = MAX_CACHED_ANSWER / 2
  const n = Math.ceil(MAX_CACHED_BYTES / size) * 2 // twice what the bound holds
  for (let i = 0; i < n; i++) await reads.cached(profile, `m${i}`, answer(`m${i}`, size))
  t.equal(computed.length, n, `${n} answers of ${size / 1024} KiB computed`)
  computed.length = 0
  await reads.cached(profile, `m${n - 1}`, answer(`m${n - 1}`, size))
  t.same(computed, [], 'the newest is answered from memory')
  await reads.cached(profile, 'm0', answer('m0', size))
  t.same(computed, ['m0'], 'the oldest was dropped, and is computed again')
  // What is held: the answers still cached are the newest ones, within the bound.
  computed.length = 0
  for (let i = n - 1; i >= 0; i--) await reads.cached(profile, `m${i}`, answer(`m${i}`, size))
  const kept = n - computed.length
  t.ok(kept * size <= MAX_CACHED_BYTES, `${kept} answers of ${size / 1024} KiB were held: no more than ${MAX_CACHED_BYTES / MiB} MiB`)
  t.ok(kept >= MAX_CACHED_BYTES / size / 2 - 2, `and about as many as the bound holds, read back from the newest (${kept})`)
  // An answer of megabytes is given, and not kept.
  computed.length = 0
  const huge = await reads.cached(profile, 'huge', answer('huge', 2 * MiB))
  t.equal((huge as Buffer).length, 2 * MiB, 'an answer of 2 MiB is given')
  await reads.cached(profile, 'huge', answer('huge', 2 * MiB))
  t.same(computed, ['huge', 'huge'], 'and computed again the next time: it was not kept')
  // Nor does it make room it will not use: refilled to the bound, the oldest answer held is still
  // held after an answer too large to keep.
  for (let i = 0; i < n; i++) await reads.cached(profile, `f${i}`, answer(`f${i}`, size))
  const oldest = `f${n - MAX_CACHED_BYTES / size}`
  await reads.cached(profile, 'huge2', answer('huge2', 2 * MiB))
  computed.length = 0
  await reads.cached(profile, oldest, answer(oldest, size))
  t.same(computed, [], `the oldest answer held before it (${oldest}) is still held`)
})
