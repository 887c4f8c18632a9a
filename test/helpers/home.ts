// test/helpers/home.ts
// A fixture HERMES_HOME in a temporary directory: config.yaml, a state.db of Hermes' real schema
// (test/fixtures/state-schema-v11.sql), gateway files and profiles, as a test asks for them.

import Database from 'better-sqlite3'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURES } from './paths.js'

export interface HomeOptions {
  readonly configYaml?: string
  /** Sessions to create: `active` ones have a recent message and no end. */
  readonly sessions?: { readonly active: number, readonly ended: number, readonly stale: number }
  /** Write gateway.pid for this (live) pid, and gateway_state.json. */
  readonly gateway?: { readonly pid: number, readonly state: string, readonly activeAgents?: number }
  readonly profiles?: readonly string[]
  /** More sessions, e.g. a continued conversation: each child names its parent. */
  readonly lineage?: readonly { readonly id: string, readonly parent?: string, readonly startedAgo: number }[]
}

export interface FixtureHome {
  readonly dir: string
  remove (): void
}

export function createFixtureHome (opts: HomeOptions = {}): FixtureHome {
  const dir = mkdtempSync(join(tmpdir(), 'hd-home-'))
  mkdirSync(join(dir, 'logs'))
  writeFileSync(join(dir, 'config.yaml'), opts.configYaml ?? '_config_version: 17\nmodel: test-model\n')
  for (const p of opts.profiles ?? []) mkdirSync(join(dir, 'profiles', p), { recursive: true })
  if (opts.sessions !== undefined || opts.lineage !== undefined) writeStateDb(join(dir, 'state.db'), opts.sessions ?? { active: 0, ended: 0, stale: 0 }, opts.lineage ?? [])
  if (opts.gateway !== undefined) {
    writeFileSync(join(dir, 'gateway.pid'), JSON.stringify({ pid: opts.gateway.pid, kind: 'hermes-gateway', argv: ['hermes', 'gateway', 'run'], start_time: null }))
    writeFileSync(join(dir, 'gateway_state.json'), JSON.stringify({
      pid: opts.gateway.pid, kind: 'hermes-gateway', gateway_state: opts.gateway.state, exit_reason: null, restart_requested: false,
      active_agents: opts.gateway.activeAgents ?? 0,
      platforms: { telegram: { state: 'connected', error_code: null, error_message: null, updated_at: new Date().toISOString() } },
      updated_at: new Date().toISOString(),
    }))
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

function writeStateDb (path: string, s: { active: number, ended: number, stale: number }, lineage: NonNullable<HomeOptions['lineage']>): void {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.exec(readFileSync(join(FIXTURES, 'state-schema-v11.sql'), 'utf8'))
  const now = Date.now() / 1000
  const addSession = db.prepare('INSERT INTO sessions (id, source, model, started_at, ended_at, title) VALUES (?, ?, ?, ?, ?, ?)')
  const addMessage = db.prepare('INSERT INTO messages (session_id, role, content, timestamp) VALUES (?, ?, ?, ?)')
  let n = 0
  const make = (count: number, startedAgo: number, lastMessageAgo: number, ended: boolean): void => {
    for (let i = 0; i < count; i++) {
      const id = `sess-${n++}`
      addSession.run(id, 'cli', 'test-model', now - startedAgo, ended ? now - 10 : null, `Session ${id}`)
      addMessage.run(id, 'user', `hello from ${id}`, now - lastMessageAgo)
    }
  }
  make(s.active, 3600, 30, false)
  make(s.ended, 3600, 30, true)
  make(s.stale, 7200, 3000, false)
  const addChild = db.prepare('INSERT INTO sessions (id, source, model, parent_session_id, started_at, title) VALUES (?, ?, ?, ?, ?, ?)')
  for (const l of lineage) addChild.run(l.id, 'tui', 'test-model', l.parent ?? null, now - l.startedAgo, `Session ${l.id}`)
  db.close()
}
