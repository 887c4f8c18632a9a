// test/unit/insights.test.ts
// The skill and tool tallies Analytics keeps between requests (src/hermes/insights.ts) follow what
// Hermes writes: after each kind of write Hermes makes (messages appended to a session, a new
// session, a session deleted with its messages, v0.18's rewind deleting a session's inactive
// messages, compaction marking rows inactive, many sessions at once, the file replaced), the kept
// tallies answer exactly what tallies made afresh answer, and the change shows. Real SQLite files
// of Hermes' schemas, written by another connection in WAL mode, as Hermes writes them.

import t from 'tap'
import Database from 'better-sqlite3'
import { mkdtempSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInsights } from '../../src/hermes/insights.js'
// @ts-expect-error: a plain ES module shared with the benchmark
import { makeStateDb } from '../fixtures/make-hermes-home.mjs'

const NOW = 1_790_000_000
const CUTOFF = NOW - 30 * 86400

interface Summary { skills: { summary: Record<string, number>, top_skills: Array<{ skill: string, view_count: number }> }, tools: Array<{ tool: string, count: number }> }

const skillCall = (name: string, skill: string): string => JSON.stringify([{ id: 'c', type: 'function', function: { name, arguments: JSON.stringify({ name: skill }) } }])

for (const [schema, tools] of [[11, false], [21, true]] as const) {
  t.test(`schema ${schema}: kept tallies answer what fresh ones do, after each write Hermes makes`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hd-insights-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'state.db')
    makeStateDb(path, { schema, sessions: 30, messagesPerSession: 12, toolShare: 0.6, now: NOW })
    const writer = new Database(path)
    writer.pragma('journal_mode = WAL')
    t.teardown(() => { if (writer.open) writer.close() })
    let reader = new Database(path, { readonly: true })
    t.teardown(() => reader.close())
    const kept = createInsights(tools)
    const summary = (): Summary => kept.summary(reader, CUTOFF) as unknown as Summary
    const fresh = (): Summary => createInsights(tools).summary(reader, CUTOFF) as unknown as Summary
    // Sessions no other one continues (Hermes deletes a continued one with its children).
    const sessions = writer.prepare('SELECT id FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM sessions c WHERE c.parent_session_id = s.id) ORDER BY started_at').pluck().all() as string[]
    const add = writer.prepare('INSERT INTO messages (session_id, role, content, tool_calls, tool_name, timestamp) VALUES (?, ?, ?, ?, ?, ?)')
    const loads = (s: Summary, skill: string): number => s.skills.top_skills.find((x) => x.skill === skill)?.view_count ?? 0
    const toolCount = (s: Summary, tool: string): number => s.tools.find((x) => x.tool === tool)?.count ?? 0

    const before = summary()
    t.same(before, fresh(), 'first summary: the same as fresh tallies')
    t.ok(before.skills.summary.total_skill_actions as number > 0, `the home has skill calls (${before.skills.summary.total_skill_actions})`)

    const steps: Array<[string, () => void, (s: Summary, prev: Summary) => boolean]> = [
      ['messages appended to a session', () => writer.transaction(() => {
        for (let i = 0; i < 3; i++) add.run(sessions[5], 'assistant', '', skillCall('skill_view', 'appended-skill'), null, NOW - 100 + i)
        add.run(sessions[5], 'tool', 'result', null, 'appended_tool', NOW - 90)
      })(), (s) => loads(s, 'appended-skill') === 3 && (!tools || toolCount(s, 'appended_tool') === 1)],
      ['a new session with its messages', () => writer.transaction(() => {
        writer.prepare("INSERT INTO sessions (id, source, model, started_at, message_count) VALUES ('new_one', 'cli', 'm', ?, 2)").run(NOW - 50)
        add.run('new_one', 'assistant', '', skillCall('skill_manage', 'appended-skill'), null, NOW - 49)
        add.run('new_one', 'assistant', '', skillCall('skill_view', 'appended-skill'), null, NOW - 48)
      })(), (s) => loads(s, 'appended-skill') === 4],
      ['a session deleted with its messages', () => writer.transaction(() => {
        writer.prepare('DELETE FROM messages WHERE session_id = ?').run(sessions[5])
        writer.prepare('DELETE FROM sessions WHERE id = ?').run(sessions[5])
      })(), (s) => loads(s, 'appended-skill') === 1],
      ['some messages of a session deleted (a rewind)', () => {
        writer.prepare("DELETE FROM messages WHERE id = (SELECT MIN(id) FROM messages WHERE session_id = 'new_one')").run()
      }, (s) => loads(s, 'appended-skill') === 1 && s.skills.top_skills.find((x) => x.skill === 'appended-skill')?.view_count === 1],
      ['the newest message of a session deleted, then one added (ids are never reused)', () => {
        writer.prepare("DELETE FROM messages WHERE session_id = 'new_one'").run()
        add.run('new_one', 'assistant', '', skillCall('skill_view', 'other-skill'), null, NOW - 40)
      }, (s) => loads(s, 'appended-skill') === 0 && loads(s, 'other-skill') === 1],
      ['compaction: rows marked inactive, not counted differently', () => {
        if (schema === 21) writer.prepare('UPDATE messages SET active = 0, compacted = 1 WHERE session_id = ?').run(sessions[7])
      }, (s, prev) => JSON.stringify(s) === JSON.stringify(prev)],
      // Most sessions changed, not all: the tallies are made again from one scan of the table, and
      // the sessions left as they were (three with skill calls) are not counted twice.
      ['most sessions at once', () => writer.transaction(() => {
        const keep = writer.prepare("SELECT session_id FROM messages WHERE instr(tool_calls, 'skill_') > 0 GROUP BY session_id ORDER BY COUNT(*) DESC LIMIT 3").pluck().all()
        for (const sid of writer.prepare('SELECT id FROM sessions').pluck().all()) if (!keep.includes(sid)) add.run(sid, 'assistant', '', skillCall('skill_view', 'everywhere'), null, NOW - 30)
      })(), (s, prev) => loads(s, 'everywhere') === (writer.prepare('SELECT COUNT(*) FROM sessions').pluck().get() as number) - 3 &&
        s.skills.summary.total_skill_loads === (prev.skills.summary.total_skill_loads as number) + loads(s, 'everywhere')],
      ['a session moved out of the window', () => {
        writer.prepare('UPDATE sessions SET started_at = ? WHERE id = ?').run(CUTOFF - 10, sessions[sessions.length - 1])
      }, (s, prev) => loads(s, 'everywhere') === loads(prev, 'everywhere') - 1],
    ]
    let prev = before
    for (const [what, write, shows] of steps) {
      write()
      const now = summary()
      t.same(now, fresh(), `${what}: the same as fresh tallies`)
      t.ok(shows(now, prev), `${what}: the change shows`)
      prev = now
    }

    // The file replaced (a restore, Hermes stopped): a new handle is read anew, not mixed with the
    // old tallies.
    const other = join(dir, 'other.db')
    makeStateDb(other, { schema, sessions: 4, messagesPerSession: 12, toolShare: 0.6, now: NOW, seed: 7 })
    writer.close()
    reader.close()
    for (const suffix of ['-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
    renameSync(other, path)
    reader = new Database(path, { readonly: true })
    const replaced = summary()
    t.same(replaced, fresh(), 'the file replaced: the same as fresh tallies')
    t.equal(loads(replaced, 'everywhere'), 0, 'and nothing of the old file is left')
  })
}
