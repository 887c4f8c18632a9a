// test/unit/analytics.test.ts
// The skill and tool counts of /api/analytics/usage read each message's tool_calls as Hermes'
// insights do (agent/insights.py: _get_skill_usage, _get_tool_usage), on the odd shapes too: a
// tool_calls that is an object, arguments given as an object or as text that is not JSON, a name
// that is blank to Python but not to JavaScript (and the other way round), a call whose function
// is not an object (Hermes stops reading that message there). Real SQLite files of Hermes' schemas.

import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { analyticsUsage } from '../../src/hermes/analytics.js'
// @ts-expect-error: a plain ES module shared with the benchmark
import { makeStateDb } from '../fixtures/make-hermes-home.mjs'

const NOW = 1_790_000_000
const call = (name: unknown, args?: unknown): Record<string, unknown> => ({ id: 'c', type: 'function', function: args === undefined ? { name } : { name, arguments: args } })
const text = (v: unknown): string => JSON.stringify(v)

/** Assistant messages' tool_calls, in this order, in one session started an hour ago. */
const MESSAGES: ReadonlyArray<string | null> = [
  text([call('skill_view', text({ name: 'log-triage' })), call('skill_manage', text({ name: 'log-triage', action: 'patch' }))]),
  // Arguments as an object are taken as they are.
  text([call('skill_view', { name: 'dict-args' })]),
  // Not JSON, not an object, no name, a name not a string: no skill.
  text([call('skill_manage', 'not json {'), call('skill_view', text(['a'])), call('skill_view', text({ other: 1 })), call('skill_view', text({ name: 7 }))]),
  // Python strips \x1f and U+3000 but not U+FEFF: the first two are blank names, the last is one.
  text([call('skill_view', text({ name: '\x1f \u3000' })), call('skill_view', text({ name: '\ufeff' }))]),
  // A tool_calls that is an object, not a list: Hermes reads no call of it.
  text({ 0: call('skill_view', text({ name: 'in-an-object' })), 1: call('web_search') }),
  // Not JSON at all.
  'skill_view [ not json',
  // A function that is not an object: Hermes' tool count stops at it (the skill count skips it).
  text([call('read_file'), { id: 'x', function: 'oops' }, call('never_counted'), call('skill_view', text({ name: 'after-oops' }))]),
  // No function (an empty one for Hermes), empty and falsy names: skipped, the message read on.
  text([{ id: 'y', type: 'function' }, call(''), call(0), call([]), call('terminal')]),
  // A name that is a non-empty list cannot be counted: the rest of the message is not read.
  text([call('terminal'), call(['x']), call('never_counted')]),
  null,
]

function home (schema: number): { path: string, done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hd-analytics-'))
  const path = join(dir, 'state.db')
  makeStateDb(path, { schema, sessions: 1, messagesPerSession: 2, now: NOW })
  const db = new Database(path)
  db.exec('DELETE FROM messages')
  db.prepare("UPDATE sessions SET started_at = ? WHERE parent_session_id IS NULL").run(NOW - 3600)
  const sid = (db.prepare('SELECT id FROM sessions WHERE parent_session_id IS NULL').get() as { id: string }).id
  const add = db.prepare('INSERT INTO messages (session_id, role, content, tool_calls, tool_name, timestamp) VALUES (?, ?, ?, ?, ?, ?)')
  MESSAGES.forEach((calls, i) => add.run(sid, 'assistant', '', calls, null, NOW - 3000 + i))
  add.run(sid, 'tool', 'result', null, 'read_file', NOW - 2000)
  add.run(sid, 'tool', 'result', null, 'read_file', NOW - 1999)
  db.close()
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) }
}

const EXPECTED_SKILLS = {
  summary: { total_skill_loads: 4, total_skill_edits: 1, total_skill_actions: 5, distinct_skills_used: 4 },
  top_skills: [
    { skill: 'log-triage', view_count: 1, manage_count: 1, total_count: 2, percentage: 40, last_used_at: NOW - 3000 },
    // Equal counts: the one used last first.
    { skill: 'after-oops', view_count: 1, manage_count: 0, total_count: 1, percentage: 20, last_used_at: NOW - 2994 },
    { skill: '\ufeff', view_count: 1, manage_count: 0, total_count: 1, percentage: 20, last_used_at: NOW - 2997 },
    { skill: 'dict-args', view_count: 1, manage_count: 0, total_count: 1, percentage: 20, last_used_at: NOW - 2999 },
  ],
}

/** /api/analytics/usage?days=30 on a home of that schema, as that release answers it. */
function usage (t: Test, schema: number, contract: 'v0.13' | 'v0.18'): Record<string, unknown> {
  const h = home(schema)
  t.teardown(h.done)
  const db = new Database(h.path, { readonly: true })
  t.teardown(() => db.close())
  return analyticsUsage(db, contract, 30, NOW)
}

t.test('v0.13: skills as Hermes counts them', async (t) => {
  const body = usage(t, 11, 'v0.13')
  t.same(body.skills, EXPECTED_SKILLS)
  t.notOk('tools' in body, 'v0.13 has no tools breakdown')
})

t.test('v0.18: skills, and tools from both of Hermes\' sources', async (t) => {
  const body = usage(t, 21, 'v0.18')
  t.same(body.skills, EXPECTED_SKILLS)
  // From tool_calls: skill_view 7, skill_manage 2, read_file 1, terminal 2; never_counted and the
  // object's calls not at all. From tool_name: read_file 2. The larger of the two per tool. Equal
  // counts: Hermes' order comes from a Python set there (it varies from run to run); here
  // tool_name's tools come first.
  const tools = body.tools as Array<{ tool: string, count: number, percentage: number }>
  t.same(tools.map((x) => [x.tool, x.count]), [['skill_view', 7], ['read_file', 2], ['skill_manage', 2], ['terminal', 2]])
  t.equal(Math.round(tools.reduce((n, x) => n + x.percentage, 0)), 100)
})
