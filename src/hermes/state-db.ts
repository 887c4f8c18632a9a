// src/hermes/state-db.ts
// Hermes' state.db, read while Hermes writes it: one read-only handle per profile's file, opened on
// first use (a home without state.db never loads the native driver), kept open, and reopened when
// the file is replaced (another inode: a restore, a migration that rewrote it). Hermes runs it in
// WAL mode, so these readers never block its writer; a busy database (a checkpoint, a migration)
// is retried a few times, briefly, and is never reported to a client as an error of its own.

import type Database from 'better-sqlite3'
import { statSync, type Stats } from 'node:fs'
import { DashboardError } from '../errors.js'
import type { ProfileDir } from './home.js'

export type Db = Database.Database

/** Waits inside SQLite for a lock this long per try, then the try is repeated (event loop held at most BUSY_MS × BUSY_TRIES). */
const BUSY_MS = 100
const BUSY_TRIES = 5
const MAX_HANDLES = 64

let driver: typeof Database | undefined
async function loadDriver (): Promise<typeof Database> {
  driver ??= (await import('better-sqlite3')).default
  return driver
}

interface Handle {
  readonly db: Db
  readonly key: string
  readonly schema: number | null
  /** The real path the home door checked. */
  readonly path: string
  /** PRAGMA data_version, compiled once: db.pragma() compiles its statement on every call. */
  readonly dataVersion: Database.Statement<[], number>
}

export interface StateDb {
  /**
   * Runs `fn` on the read-only handle of the profile's state.db, retrying while it is busy; null when
   * the profile has no state.db. Throws HD_ERR_STATE_DB_BUSY only after every retry.
   */
  read<T> (profile: ProfileDir, fn: (db: Db) => T): Promise<T | null>
  /** schema_version of the profile's state.db; null without one (or without the table). */
  schemaVersion (profile: ProfileDir): Promise<number | null>
  /**
   * What identifies the database's current content: the file and SQLite's data_version, which moves
   * whenever another connection (Hermes) commits. Equal stamps, equal answers. Null without a file.
   */
  stamp (profile: ProfileDir): Promise<string | null>
  /** The checked real path of the profile's state.db (for the worker's own handle); null without one. */
  path (profile: ProfileDir): string | null
  close (): void
}

function isBusy (err: unknown): boolean {
  const code = (err as { code?: string }).code
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_BUSY_RECOVERY'
}

/** schema_version of an open state.db; null without the table or a version in it. */
export function schemaVersionOf (db: Db): number | null {
  try {
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null } | undefined
    return typeof row?.v === 'number' ? row.v : null
  } catch {
    return null
  }
}

/** Which file a name leads to: its device and inode (the key a handle is kept under). */
export const fileKey = (st: Stats): string => `${st.dev}:${st.ino}`

export function createStateDb (): StateDb {
  const handles = new Map<string, Handle>()

  // Names found to lead to their handle's file in this turn of the event loop. A request decides its
  // contract, its answer-cache stamp and the worker's path in one turn: on one check of the file,
  // not three (a stat each). A file replaced meanwhile is seen on the next turn, as it would have
  // been by a request that came a moment later.
  const checked = new Set<string>()

  const checkedNow = (shown: string, h: Handle): Handle => {
    if (checked.size === 0) setImmediate(() => checked.clear())
    checked.add(shown)
    return h
  }

  /** The handle opened before, if the name still leads to that very file (same device and inode): nothing to check again. */
  const current = (shown: string): Handle | undefined => {
    const known = handles.get(shown)
    if (known === undefined) return undefined
    if (checked.has(shown)) return known
    try {
      const st = statSync(shown, { throwIfNoEntry: false })
      if (st !== undefined && fileKey(st) === known.key) return checkedNow(shown, known)
    } catch {}
    known.db.close()
    handles.delete(shown)
    return undefined
  }

  const open = async (profile: ProfileDir): Promise<Handle | null> => {
    const shown = profile.show('state.db')
    const known = current(shown)
    if (known !== undefined) return known
    // The home door checks it is a regular file inside the home, and gives its real path.
    const path = profile.regularFile('state.db')
    if (path === null) return null
    const key = fileKey(statSync(path))
    const Driver = await loadDriver()
    const db = new Driver(path, { readonly: true, fileMustExist: true, timeout: BUSY_MS })
    const schema = schemaVersionOf(db)
    if (handles.size >= MAX_HANDLES) {
      for (const h of handles.values()) h.db.close()
      handles.clear()
    }
    const handle = { db, key, schema, path, dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck() }
    handles.set(shown, handle)
    return checkedNow(shown, handle)
  }

  return {
    async read (profile, fn) {
      for (let attempt = 1; ; attempt++) {
        try {
          const h = await open(profile)
          return h === null ? null : fn(h.db)
        } catch (err) {
          if (!isBusy(err)) throw err
          if (attempt >= BUSY_TRIES) {
            throw new DashboardError('HD_ERR_STATE_DB_BUSY', `state.db stayed locked through ${BUSY_TRIES} tries`, 'Hermes is migrating or checkpointing its database; try again in a moment.')
          }
          await new Promise((resolve) => setTimeout(resolve, BUSY_MS * attempt))
        }
      }
    },
    async schemaVersion (profile) {
      return (await open(profile))?.schema ?? null
    },
    async stamp (profile) {
      const h = await open(profile)
      if (h === null) return null
      return `${h.key}:${String(h.dataVersion.get())}`
    },
    path: (profile) => current(profile.show('state.db'))?.path ?? profile.regularFile('state.db'),
    close () {
      for (const h of handles.values()) h.db.close()
      handles.clear()
    },
  }
}
