// test/unit/messages-json.test.ts
// A session's messages serialised by SQLite (sessionMessagesJson) against the same answer made row
// by row in JavaScript (sessionMessages), on real SQLite files of Hermes' schemas 11 and 21: the
// same values for every row SQLite reads as decodeMessage does (the same bytes for what Hermes
// writes), and the row-by-row answer itself, byte for byte, for any session SQLite cannot serialise
// or would decode otherwise.

import t from 'tap'
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Contract } from '../../src/hermes/contract.js'
import { sessionMessages, sessionMessagesJson } from '../../src/hermes/sessions-read.js'
// @ts-expect-error: a plain ES module shared with the benchmark
import { makeStateDb } from '../fixtures/make-hermes-home.mjs'

const NOW = 1_790_000_000
const PREFIX = '\u0000json:'
// What Hermes writes: Python's json.dumps (spaces after separators, non-ASCII escaped).
const PY_CALLS = '[{"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": "{\\"path\\": \\"/src/caf\\u00e9.ts\\"}"}}]'

interface Row { content: unknown, tool_calls?: unknown, timestamp?: number, active?: number }

/** Sessions of one message list each; `kept`: every row SQLite decodes as decodeMessage does. */
const SESSIONS: Record<string, { kept: boolean, rows: Row[] }> = {
  hermes: {
    kept: true,
    rows: [
      { content: 'Find the nginx error in /var/log', timestamp: NOW - 100.25 },
      { content: '', tool_calls: JSON.stringify([{ id: 'c1', type: 'function', function: { name: 'terminal', arguments: '{"cmd":"tail"}' } }]), timestamp: NOW - 99.5 },
      { content: 'x\u0001\b\f\n\r\t\u001f\u007f\u2028 "quoted" back\\slash café 😀', timestamp: NOW - 98.125 },
    ],
  },
  odd: {
    kept: true,
    rows: [
      { content: `${PREFIX}{"a": "\\u00e9", "n": 1.0, "big": 1e5, "list": [1, 2, {"deep": null}], "a2": 1}`, timestamp: NOW },
      { content: 'plain', tool_calls: PY_CALLS, timestamp: NOW + 1 },
      { content: null, tool_calls: '', timestamp: NOW + 2 },
      { content: `${PREFIX}"just a string"`, tool_calls: '{"not": "a list"}', timestamp: NOW + 3 },
      { content: 'gone from the page', timestamp: NOW + 4, active: 0 },
      { content: 'same time, later id', timestamp: NOW + 3 },
    ],
  },
  // JSON.parse reads them otherwise than SQLite, or SQLite cannot serialise them: made row by row.
  badPrefixed: { kept: false, rows: [{ content: 'ok', timestamp: NOW }, { content: `${PREFIX}{not json`, timestamp: NOW + 1 }] },
  badCalls: { kept: false, rows: [{ content: '', tool_calls: 'skill_view [ not json', timestamp: NOW }] },
  json5Calls: { kept: false, rows: [{ content: '', tool_calls: '[{id: 1,}]', timestamp: NOW }] },
  deep: { kept: false, rows: [{ content: `${PREFIX}${'['.repeat(1200)}${']'.repeat(1200)}`, timestamp: NOW }] },
  blob: { kept: false, rows: [{ content: Buffer.from('bytes'), timestamp: NOW }] },
}

function home (schema: number): { db: Database.Database, done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hd-messages-json-'))
  const path = join(dir, 'state.db')
  makeStateDb(path, { schema, sessions: 1, messagesPerSession: 1, now: NOW })
  const db = new Database(path)
  db.exec('DELETE FROM messages')
  const addSession = db.prepare("INSERT INTO sessions (id, source, model, started_at, message_count) VALUES (?, 'cli', 'm', ?, 0)")
  const columns = schema >= 21 ? 'session_id, role, content, tool_calls, timestamp, active' : 'session_id, role, content, tool_calls, timestamp'
  const add = db.prepare(`INSERT INTO messages (${columns}) VALUES (${columns.split(',').map(() => '?').join(', ')})`)
  for (const [id, s] of Object.entries(SESSIONS)) {
    addSession.run(id, NOW - 3600)
    for (const r of s.rows) add.run(id, 'assistant', r.content, r.tool_calls ?? null, r.timestamp ?? NOW, ...(schema >= 21 ? [r.active ?? 1] : []))
  }
  db.close()
  const ro = new Database(path, { readonly: true })
  return { db: ro, done: () => { ro.close(); rmSync(dir, { recursive: true, force: true }) } }
}

const text = (parts: Uint8Array[]): string => Buffer.concat(parts).toString('utf8')
const norm = (json: string): string => JSON.stringify(JSON.parse(json))

for (const [schema, contract] of [[11, 'v0.13'], [21, 'v0.18']] as const satisfies ReadonlyArray<readonly [number, Contract]>) {
  t.test(`schema ${schema} (${contract}): SQLite's answer and the row-by-row one`, async (t) => {
    const { db, done } = home(schema)
    t.teardown(done)
    const pages: Array<[number | null, number]> = contract === 'v0.18' ? [[null, 0], [2, 0], [2, 1], [1, 4], [null, 3], [10_000, 0], [3, 99]] : [[null, 0]]
    for (const [id, s] of Object.entries(SESSIONS)) {
      for (const [limit, offset] of pages) {
        const what = `${id}${contract === 'v0.18' ? ` limit=${String(limit)} offset=${offset}` : ''}`
        const parts = sessionMessagesJson(db, contract, id, limit, offset)
        const rowByRow = JSON.stringify(sessionMessages(db, contract, id, limit, offset))
        if (s.kept) {
          t.equal(parts.length, 3, `${what}: serialised by SQLite`)
          t.equal(norm(text(parts)), norm(rowByRow), `${what}: the same values`)
        } else {
          t.equal(text(parts), rowByRow, `${what}: made row by row, the same bytes`)
        }
      }
    }
    // What Hermes writes reads back the same, byte for byte.
    t.equal(text(sessionMessagesJson(db, contract, 'hermes', null, 0)), JSON.stringify(sessionMessages(db, contract, 'hermes', null, 0)), 'Hermes\' rows: the same bytes')
    const odd = text(sessionMessagesJson(db, contract, 'odd', null, 0))
    t.match(odd, `"timestamp":${NOW}.0,`, 'a whole-number REAL as Hermes\' own server writes it')
    t.match(odd, '"content":{"a":"\\u00e9","n":1.0,"big":1e5,', 'JSON after the prefix: its values, as stored, without the spaces')
    t.match(odd, '"tool_calls":""', 'an empty tool_calls stays empty')
    const listed = (JSON.parse(odd) as { messages: Array<{ content: unknown }> }).messages.map((m) => m.content)
    t.equal(listed.includes('gone from the page'), contract === 'v0.13', 'an inactive message: listed by v0.13 only')
    if (contract === 'v0.18') {
      const page = JSON.parse(text(sessionMessagesJson(db, contract, 'odd', 2, 1))) as { messages: unknown[], pagination: unknown }
      t.strictSame(page.pagination, { limit: 2, offset: 1, returned: 2 }, 'pagination as v0.18 says it')
    }
    t.throws(() => sessionMessagesJson(db, contract, 'no-such-session', null, 0), { message: 'Session not found' }, 'an unknown session: Hermes\' 404')
  })
}
