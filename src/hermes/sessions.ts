// src/hermes/sessions.ts
// The two reads of state.db the dashboard's own features make (Chat's resume, /api/status), over
// the shared read-only handle (state-db.ts). A database that cannot be read counts as empty: these
// are conveniences, never a reason for Chat or status to fail.

import type { ProfileDir } from './home.js'
import { countActive, latestDescendantOf } from './sessions-read.js'
import type { StateDb } from './state-db.js'

export { ACTIVE_WINDOW_SECONDS } from './sessions-read.js'

const counted = new Map<string, { stamp: string, at: number, n: number }>()
/** How long a count is reused while state.db does not change: every page polls /api/status. */
const COUNT_TTL_MS = 1000

/** Active sessions in the profile's state.db; 0 when there is none or it cannot be read. */
export async function countActiveSessions (stateDb: StateDb, profile: ProfileDir, nowSeconds = Date.now() / 1000): Promise<number> {
  try {
    const stamp = await stateDb.stamp(profile)
    if (stamp === null) return 0
    const hit = counted.get(profile.dir)
    const now = Date.now()
    if (hit !== undefined && hit.stamp === stamp && now - hit.at < COUNT_TTL_MS) return hit.n
    const n = await stateDb.read(profile, (db) => countActive(db, nowSeconds)) ?? 0
    if (counted.size > 256) counted.clear()
    counted.set(profile.dir, { stamp, at: now, n })
    return n
  } catch {
    return 0
  }
}

/**
 * The newest session continuing `id` (a compressed or branched conversation gets a child session),
 * as Hermes follows it before resuming; `id` itself when it has none or state.db cannot be read.
 */
export async function latestDescendant (stateDb: StateDb, profile: ProfileDir, id: string): Promise<string> {
  try {
    const r = await stateDb.read(profile, (db) => latestDescendantOf(db, id).session_id as string)
    return r ?? id
  } catch {
    return id
  }
}
