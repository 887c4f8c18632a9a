// src/hermes/native-reads.ts
// What the native read routes share: which contract a profile is answered with (the installed
// Hermes' release and its state.db schema), and a cache of answers keyed on the database's content
// (its file and SQLite's data_version), so a page that polls is answered from memory until Hermes
// writes. Time enters some answers (is_active, an analytics window), so an entry also ages out.

import { chooseContract, type ContractChoice } from './contract.js'
import type { ProfileDir } from './home.js'
import type { StateDb } from './state-db.js'

export interface NativeReadsOptions {
  readonly stateDb: StateDb
  /** Hermes' version as far as it is known (its `version` command, else its server's status). */
  readonly hermesVersion: () => string | null
  readonly backendOff: boolean
  /** Logged once per reason: why a route is left to Hermes' own server. */
  readonly onForward: (why: string) => void
  /** How long an answer may be reused while the database does not change. */
  readonly ttlMs?: number
}

export interface NativeReads {
  contract (profile: ProfileDir): Promise<ContractChoice>
  /** `compute()`, or its last result for the same profile, key and database content, if fresh. */
  cached<T> (profile: ProfileDir, key: string, compute: () => Promise<T>): Promise<T>
  /** The contract decisions made so far, for /api/status. */
  readonly decisions: ReadonlyMap<string, string>
}

const MAX_ENTRIES = 512
/** Bytes of answers kept at most; the oldest go first. */
export const MAX_CACHED_BYTES = 32 * 1024 * 1024
/**
 * A larger answer (a long conversation's messages: megabytes) is not kept. Kept, such answers are
 * memory outside V8's heap that only a full collection frees: read back to back, they had the event
 * loop stop 8 to 13 ms at a time for it ("external memory pressure"); sent and dropped, a quick
 * young-generation collection frees them. Recomputing one is the worker's job, not the loop's.
 */
export const MAX_CACHED_ANSWER = 1024 * 1024

const sizeOf = (v: unknown): number => typeof v === 'string' ? v.length : Buffer.isBuffer(v) ? v.length : 0

export function createNativeReads (opts: NativeReadsOptions): NativeReads {
  const ttl = opts.ttlMs ?? 1000
  const cache = new Map<string, { stamp: string, at: number, value: unknown, size: number }>()
  let bytes = 0
  const decisions = new Map<string, string>()
  const told = new Set<string>()
  return {
    decisions,
    async contract (profile) {
      const choice = chooseContract({ hermesVersion: opts.hermesVersion(), schema: await opts.stateDb.schemaVersion(profile), backendOff: opts.backendOff })
      const said = choice.contract === null ? `forwarded: ${choice.why}` : `native: ${choice.contract}`
      decisions.set(profile.name, said)
      if (choice.contract === null && !told.has(choice.why)) {
        told.add(choice.why)
        opts.onForward(choice.why)
      }
      return choice
    },
    async cached (profile, key, compute) {
      const stamp = await opts.stateDb.stamp(profile) ?? 'none'
      const k = `${profile.name}\0${key}`
      const hit = cache.get(k)
      const now = Date.now()
      if (hit !== undefined && hit.stamp === stamp && now - hit.at < ttl) return hit.value as Awaited<ReturnType<typeof compute>>
      const value = await compute()
      const size = sizeOf(value)
      const prev = cache.get(k) // this one's, or a request's that ran meanwhile
      if (prev !== undefined) {
        cache.delete(k)
        bytes -= prev.size
      }
      // One too large to keep takes no room from the others.
      if (size > MAX_CACHED_ANSWER) return value
      // Map order is insertion order: the first entries are the oldest.
      for (const [old, e] of cache) {
        if (cache.size < MAX_ENTRIES && bytes + size <= MAX_CACHED_BYTES) break
        cache.delete(old)
        bytes -= e.size
      }
      cache.set(k, { stamp, at: now, value, size })
      bytes += size
      return value
    },
  }
}
