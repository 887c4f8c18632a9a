// src/hermes/insights.ts
// The skill and tool counts of /api/analytics/usage, as Hermes' agent/insights.py gathers them by
// parsing every assistant message's tool_calls: how one message counts (pure), and tallies per
// session kept between requests, so only what Hermes wrote since is read again. Reading every
// message is the one costly part of Analytics on a large home (a scan of all of messages); the rest
// is SQL over sessions.

import type { Db } from './state-db.js'

type Row = Record<string, unknown>

/** Python's sort of mixed keys, descending: tuples compared element by element. */
function descending (a: ReadonlyArray<number | string>, b: ReadonlyArray<number | string>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number | string
    const y = b[i] as number | string
    if (x !== y) return x < y ? 1 : -1
  }
  return 0
}

/** A JSON object, as Python's isinstance(x, dict) sees one. */
function isDict (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** json.loads of a text column; undefined when it is not JSON (Python's NaN and Infinity are not either). */
function parsed (text: unknown): unknown {
  if (typeof text !== 'string') return text
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// What str.strip() removes: Python's whitespace, which is not quite JavaScript's (\x1c-\x1f and
// \x85 are; U+FEFF is not).
const PY_BLANK = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/

interface SkillUse { skill: string, view_count: number, manage_count: number, last_used_at: number | null }

/** Hermes' _get_skill_usage for one message: its skill_view / skill_manage calls with a skill name. */
function countSkills (calls: unknown, ts: number | null, skills: Map<string, SkillUse>): void {
  if (!Array.isArray(calls)) return
  for (const call of calls) {
    if (!isDict(call)) continue
    // Hermes fails the whole request on a function that is there but not an object, or on a name
    // that is a list or an object (checked with v0.13's and v0.18's own code); here that call is
    // skipped.
    const func = Object.hasOwn(call, 'function') ? call.function : {}
    if (!isDict(func)) continue
    const tool = func.name
    if (tool !== 'skill_view' && tool !== 'skill_manage') continue
    const args = parsed(func.arguments)
    if (!isDict(args)) continue
    const name = args.name
    if (typeof name !== 'string' || PY_BLANK.test(name)) continue
    mergeSkill(skills, { skill: name, view_count: tool === 'skill_view' ? 1 : 0, manage_count: tool === 'skill_manage' ? 1 : 0, last_used_at: ts })
  }
}

function mergeSkill (skills: Map<string, SkillUse>, use: SkillUse): void {
  const e = skills.get(use.skill)
  if (e === undefined) {
    skills.set(use.skill, { ...use })
    return
  }
  e.view_count += use.view_count
  e.manage_count += use.manage_count
  if (use.last_used_at !== null && (e.last_used_at === null || use.last_used_at > e.last_used_at)) e.last_used_at = use.last_used_at
}

/** Python's truth value of a JSON value. */
function truthy (v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false
  return typeof v !== 'object' || Object.keys(v).length > 0
}

/**
 * Hermes' second tool-use source for one message: each call's function name. As there, a call
 * whose function is there but not an object, or whose name is a list or an object (no Counter
 * key), ends the message; the calls before it stay counted.
 */
function countCalls (calls: unknown, count: (name: unknown) => void): void {
  if (!Array.isArray(calls)) return
  for (const call of calls) {
    const func = isDict(call) && Object.hasOwn(call, 'function') ? call.function : {}
    if (!isDict(func)) return
    const name = func.name
    if (!truthy(name)) continue
    if (typeof name === 'object') return
    count(name)
  }
}

function skillSummary (skills: Map<string, SkillUse>): Row {
  const list = [...skills.values()]
  const loads = list.reduce((n, s) => n + s.view_count, 0)
  const edits = list.reduce((n, s) => n + s.manage_count, 0)
  const total = loads + edits
  const top = list.map((s) => {
    const count = s.view_count + s.manage_count
    return { skill: s.skill, view_count: s.view_count, manage_count: s.manage_count, total_count: count, percentage: total === 0 ? 0 : count / total * 100, last_used_at: s.last_used_at }
  }).sort((a, b) => descending([a.total_count, a.view_count, a.manage_count, a.last_used_at ?? 0, a.skill], [b.total_count, b.view_count, b.manage_count, b.last_used_at ?? 0, b.skill]))
  return { summary: { total_skill_loads: loads, total_skill_edits: edits, total_skill_actions: total, distinct_skills_used: list.length }, top_skills: top }
}

/** A count, and the id of the first message that made it: equal counts are listed in that order. */
interface Seen { n: number, first: number }

function mergeSeen (into: Map<unknown, Seen>, key: unknown, n: number, first: number): void {
  const e = into.get(key)
  if (e === undefined) into.set(key, { n, first })
  else {
    e.n += n
    if (first < e.first) e.first = first
  }
}

/** By count, descending; equal counts in the order they were first counted (Counter.most_common()). */
function ranked (seen: Map<unknown, Seen>): Array<[unknown, number]> {
  return [...seen.entries()].sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first).map(([k, s]) => [k, s.n])
}

/** Tool use (v0.18): tool messages by tool_name and assistant tool_calls by name, the larger of the two per tool. */
function toolSummary (byName: Array<[unknown, number]>, byCall: Array<[unknown, number]>): Row[] {
  let counts: Map<unknown, number>
  if (byName.length === 0) counts = new Map(byCall)
  else if (byCall.length === 0) counts = new Map(byName)
  else {
    const names = new Map(byName)
    const calls = new Map(byCall)
    counts = new Map()
    for (const t of new Set([...names.keys(), ...calls.keys()])) counts.set(t, Math.max(names.get(t) ?? 0, calls.get(t) ?? 0))
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0)
  return [...counts.entries()].map(([tool, count], i) => ({ tool, count, i })).sort((a, b) => b.count - a.count || a.i - b.i)
    .map(({ tool, count }) => ({ tool, count, percentage: total === 0 ? 0 : count / total * 100 }))
}

/** What one session's messages add to the counts. */
interface SessionTally {
  /** COUNT(*) and MAX(id) of its messages as tallied. Ids only grow (AUTOINCREMENT), so any row added or deleted moves one of them. */
  count: number
  maxId: number
  readonly skills: Map<string, SkillUse>
  /** Assistant tool_calls by function name (v0.18). */
  readonly calls: Map<unknown, Seen>
  /** Tool messages by tool_name (v0.18). */
  readonly names: Map<unknown, Seen>
}

export interface Insights {
  /** Brings the tallies up to date with the database now (what a summary does first). */
  refresh (db: Db): void
  /** The skill (and with tools, the tool) breakdown of the sessions started since cutoff. */
  summary (db: Db, cutoff: number): { skills: Row, tools: Row[] }
}

/**
 * Tallies per session of one database handle, brought up to date at each summary once SQLite's
 * data_version says another connection committed. Messages only appended since (what Hermes does
 * while it chats) are read and added; otherwise (Hermes deletes messages by session) the sessions
 * whose message count or newest id moved are read again, by the session index, and only those.
 * The one column Hermes updates in place (active/compacted, v0.18) is not counted. The first
 * summary reads every message once: one scan of messages.
 */
export function createInsights (tools: boolean): Insights {
  const tallies = new Map<string, SessionTally>()
  let seenVersion: unknown = null
  let seenDb: Db | null = null
  // COUNT(*) and MAX(id) of all messages as tallied; -1: nothing tallied yet.
  let total = -1
  let newest = -1

  const tally = (sid: string, count: number, maxId: number): SessionTally => {
    const t = { count, maxId, skills: new Map(), calls: new Map(), names: new Map() }
    tallies.set(sid, t)
    return t
  }

  // Hermes writes tool_calls with json.dumps, which never escapes ASCII: when only skills are
  // counted, a message without the bytes skill_ has no skill call, and is not parsed at all.
  const callsSql = `SELECT session_id, id, tool_calls, timestamp FROM messages WHERE role = 'assistant' AND tool_calls IS NOT NULL
    ${tools ? '' : "AND instr(tool_calls, 'skill_') > 0"}`
  const namesSql = "SELECT session_id, tool_name, COUNT(*), MIN(id) FROM messages WHERE role = 'tool' AND tool_name IS NOT NULL"

  /** Adds the messages matching `where` (an AND clause; '' for all) to their sessions' tallies, which exist. */
  const read = (db: Db, where: string, args: unknown[]): void => {
    for (const [sid, id, text, ts] of db.prepare(`${callsSql} ${where}`).raw(true).iterate(...args) as Iterable<[string, number, unknown, number | null]>) {
      const t = tallies.get(sid) as SessionTally
      const calls = parsed(text)
      countSkills(calls, ts, t.skills)
      if (tools) countCalls(calls, (name) => mergeSeen(t.calls, name, 1, id))
    }
    if (!tools) return
    for (const [sid, name, n, first] of db.prepare(`${namesSql} ${where} GROUP BY session_id, tool_name`).raw(true).iterate(...args) as Iterable<[string, unknown, number, number]>) {
      mergeSeen((tallies.get(sid) as SessionTally).names, name, n, first)
    }
  }

  /** Only appended since: true when every message tallied is still there (the count grew by exactly the new ids). */
  const appendedOnly = (db: Db, count: number, max: number): boolean =>
    total >= 0 && max > newest && count - total === db.prepare('SELECT COUNT(*) FROM messages WHERE id > ?').pluck().get(newest)

  const update = (db: Db): void => {
    const version = db.pragma('data_version', { simple: true })
    if (db === seenDb && version === seenVersion) return
    if (db !== seenDb) {
      tallies.clear()
      total = -1
    }
    const [count, max] = db.prepare('SELECT COUNT(*), COALESCE(MAX(id), 0) FROM messages').raw(true).get() as [number, number]
    if (count === total && max === newest) {
      // Nothing in messages changed (a session's row did, or another table).
    } else if (appendedOnly(db, count, max)) {
      // NOT INDEXED: the new ids' rows, by the id range (SQLite would scan the session index).
      for (const [sid, n, last] of db.prepare('SELECT session_id, COUNT(*), MAX(id) FROM messages NOT INDEXED WHERE id > ? GROUP BY session_id').raw(true).iterate(newest) as Iterable<[string, number, number]>) {
        const t = tallies.get(sid) ?? tally(sid, 0, 0)
        t.count += n
        t.maxId = last
      }
      read(db, 'AND id > ?', [newest])
    } else {
      const stamps = db.prepare('SELECT session_id, COUNT(*), MAX(id) FROM messages GROUP BY session_id').raw(true).all() as Array<[string, number, number]>
      const known = new Set(stamps.map(([sid]) => sid))
      for (const sid of tallies.keys()) if (!known.has(sid)) tallies.delete(sid)
      const changed = stamps.filter(([sid, n, last]) => tallies.get(sid)?.count !== n || tallies.get(sid)?.maxId !== last)
      if (changed.length * 2 > stamps.length) {
        // Most sessions changed (the first summary): one scan of the table beats an index lookup per row.
        tallies.clear()
        for (const [sid, n, last] of stamps) tally(sid, n, last)
        read(db, '', [])
      } else if (changed.length > 0) {
        for (const [sid, n, last] of changed) tally(sid, n, last)
        read(db, 'AND session_id IN (SELECT value FROM json_each(?))', [JSON.stringify(changed.map(([sid]) => sid))])
      }
    }
    total = count
    newest = max
    seenDb = db
    seenVersion = version
  }

  return {
    refresh (db) {
      db.transaction(() => update(db))()
    },
    summary (db, cutoff) {
      // One snapshot: what is counted and the stamps it is checked by are the same commit.
      return db.transaction(() => {
        update(db)
        const skills = new Map<string, SkillUse>()
        const calls = new Map<unknown, Seen>()
        const names = new Map<unknown, Seen>()
        for (const sid of db.prepare('SELECT id FROM sessions WHERE started_at >= ?').pluck().iterate(cutoff) as Iterable<string>) {
          const t = tallies.get(sid)
          if (t === undefined) continue
          for (const s of t.skills.values()) mergeSkill(skills, s)
          for (const [k, s] of t.calls) mergeSeen(calls, k, s.n, s.first)
          for (const [k, s] of t.names) mergeSeen(names, k, s.n, s.first)
        }
        return { skills: skillSummary(skills), tools: tools ? toolSummary(ranked(names), ranked(calls)) : [] }
      })()
    },
  }
}
