// src/hermes/sessions.ts
// Reads from Hermes' state.db, opened read-only per call: Hermes writes the file while we run.

import type Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

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

/** Active sessions in the home's state.db; 0 when there is no database or it cannot be read. */
export async function countActiveSessions (home: string, nowSeconds = Date.now() / 1000): Promise<number> {
  const path = join(home, 'state.db')
  if (!existsSync(path)) return 0
  let db: Database.Database | undefined
  try {
    driver ??= import('better-sqlite3').then((m) => m.default)
    const Driver = await driver
    db = new Driver(path, { readonly: true, fileMustExist: true, timeout: 750 })
    const row = db.prepare(ACTIVE_SQL).get(nowSeconds - ACTIVE_WINDOW_SECONDS) as { n: number } | undefined
    return row?.n ?? 0
  } catch {
    return 0
  } finally {
    db?.close()
  }
}
