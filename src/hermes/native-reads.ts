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

export function createNativeReads (opts: NativeReadsOptions): NativeReads {
  const ttl = opts.ttlMs ?? 1000
  const cache = new Map<string, { stamp: string, at: number, value: unknown }>()
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
      if (cache.size >= MAX_ENTRIES) cache.clear()
      cache.set(k, { stamp, at: now, value })
      return value
    },
  }
}
