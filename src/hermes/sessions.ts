// src/hermes/sessions.ts
// Reads from Hermes' state.db, opened read-only per call: Hermes writes the file while we run.

import type Database from 'better-sqlite3'
import type { ProfileDir } from './home.js'

/** A session counts as active when it has not ended and saw a message (or started) in the window. */
export const ACTIVE_WINDOW_SECONDS = 300

// Like Hermes: the 50 most recently started top-level sessions, each active by its last message.
const ACTIVE_SQL = `
SELECT COUNT(*) AS n FROM (
  SELECT s.ended_at AS ended_at,
         COALESCE((SELECT MAX(m.timestamp) FROM messages m WHERE m.session_id = s.id), s.started_at) AS last_active
  FROM sessions s
  WHERE s.parent_session_id IS NULL
  ORDER BY s.started_at DESC
  LIMIT 50
) WHERE ended_at IS NULL AND last_active > ?`

// Loaded on first use: a home without state.db never pays for the native module.
let driver: Promise<typeof Database> | undefined

async function openStateDb (profile: ProfileDir): Promise<Database.Database | null> {
  // Checked by the home door: a regular file inside the home (SQLite then opens it by that path).
  const path = profile.regularFile('state.db')
  if (path === null) return null
  driver ??= import('better-sqlite3').then((m) => m.default)
  const Driver = await driver
  return new Driver(path, { readonly: true, fileMustExist: true, timeout: 750 })
}

/** Active sessions in the home's state.db; 0 when there is no database or it cannot be read. */
export async function countActiveSessions (profile: ProfileDir, nowSeconds = Date.now() / 1000): Promise<number> {
  let db: Database.Database | null = null
  try {
    db = await openStateDb(profile)
    if (db === null) return 0
    const row = db.prepare(ACTIVE_SQL).get(nowSeconds - ACTIVE_WINDOW_SECONDS) as { n: number } | undefined
    return row?.n ?? 0
  } catch {
    return 0
  } finally {
    db?.close()
  }
}

/** How far a chain of continued sessions is followed; a longer one (or a cycle) stops there. */
const MAX_DESCENT = 256

/**
 * The newest session continuing `id` (a compressed or branched conversation gets a child session):
 * follows parent_session_id downwards, newest child first, as Hermes does before resuming. Returns
 * `id` itself when it has no children, or when state.db cannot be read.
 */
export async function latestDescendant (profile: ProfileDir, id: string): Promise<string> {
  let db: Database.Database | null = null
  try {
    db = await openStateDb(profile)
    if (db === null) return id
    const child = db.prepare('SELECT id FROM sessions WHERE parent_session_id = ? ORDER BY started_at DESC LIMIT 1')
    const seen = new Set([id])
    let current = id
    for (let i = 0; i < MAX_DESCENT; i++) {
      const row = child.get(current) as { id: string } | undefined
      if (row === undefined || seen.has(row.id)) break
      seen.add(row.id)
      current = row.id
    }
    return current
  } catch {
    return id
  } finally {
    db?.close()
  }
}
