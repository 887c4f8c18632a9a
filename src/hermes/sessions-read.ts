// src/hermes/sessions-read.ts
// Hermes' session read routes, answered from state.db as each known release answers them (the
// contract): the list, one session, its messages, its newest continuation, search, and v0.18's
// statistics. SQL does the paging, filtering and ordering; what is left here is the shaping Hermes
// does in Python (previews, compression tips, JSON columns). Every function takes an open
// read-only handle and plain parameters, and returns the JSON body.

import type { Contract } from './contract.js'
import type { Db } from './state-db.js'

type Row = Record<string, unknown>

/** Raised for a request Hermes answers 4xx; the route maps it to that status with Hermes' body. */
export class HermesAnswer extends Error {
  constructor (readonly status: number, readonly body: unknown) { super(typeof body === 'object' && body !== null && 'detail' in body ? String((body as { detail: unknown }).detail) : 'hermes answer') }
}

const NOT_FOUND = (): HermesAnswer => new HermesAnswer(404, { detail: 'Session not found' })

/** A session is active when it has not ended and saw a message (or started) in the last five minutes. */
export const ACTIVE_WINDOW_SECONDS = 300

const PREVIEW = `COALESCE((SELECT SUBSTR(REPLACE(REPLACE(m.content, X'0A', ' '), X'0D', ' '), 1, 63) FROM messages m
  WHERE m.session_id = s.id AND m.role = 'user' AND m.content IS NOT NULL ORDER BY m.timestamp, m.id LIMIT 1), '') AS _preview_raw`
const LAST_ACTIVE = 'COALESCE((SELECT MAX(m2.timestamp) FROM messages m2 WHERE m2.session_id = s.id), s.started_at) AS last_active'
const BRANCHED_CHILD = `EXISTS (SELECT 1 FROM sessions p WHERE p.id = s.parent_session_id AND p.end_reason = 'branched' AND s.started_at >= p.ended_at)`
const MC = "COALESCE(s.model_config, '{}')"

/** Python's str.strip(): Unicode whitespace at both ends. */
function pyStrip (text: string): string {
  return text.replace(/^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/gu, '')
}

/** The first user message, one line, at most 60 characters (then "..."), as Hermes shows it. */
function previewOf (raw: unknown): string {
  const text = pyStrip(typeof raw === 'string' ? raw : '')
  const chars = [...text]
  return chars.length > 60 ? `${chars.slice(0, 60).join('')}...` : text
}

/** Resolves a full or unambiguous prefix id (LIKE: ASCII case-insensitive), as Hermes does. */
export function resolveSessionId (db: Db, id: string): string | null {
  const exact = db.prepare('SELECT id FROM sessions WHERE id = ?').get(id) as { id: string } | undefined
  if (exact !== undefined) return exact.id
  const escaped = id.replace(/[\\%_]/g, (c) => `\\${c}`)
  const rows = db.prepare("SELECT id FROM sessions WHERE id LIKE ? || '%' ESCAPE '\\' ORDER BY started_at DESC LIMIT 2").all(escaped) as Array<{ id: string }>
  return rows.length === 1 ? (rows[0] as { id: string }).id : null
}

/** The live end of a compressed conversation: each compression continues in a child session. */
function compressionTip (db: Db, contract: Contract, root: string): string {
  if (contract === 'v0.13') {
    const next = db.prepare(`SELECT c.id FROM sessions c JOIN sessions p ON p.id = c.parent_session_id
      WHERE c.parent_session_id = ? AND p.end_reason = 'compression' AND c.started_at >= p.ended_at ORDER BY c.started_at DESC LIMIT 1`)
    let cur = root
    for (let i = 0; i < 100; i++) {
      const row = next.get(cur) as { id: string } | undefined
      if (row === undefined) break
      cur = row.id
    }
    return cur
  }
  const next = db.prepare(`SELECT c.id FROM sessions c JOIN sessions p ON p.id = c.parent_session_id
    WHERE c.parent_session_id = ? AND p.end_reason = 'compression'
      AND json_extract(COALESCE(c.model_config, '{}'), '$._branched_from') IS NULL
      AND json_extract(COALESCE(c.model_config, '{}'), '$._delegate_from') IS NULL
      AND c.source != 'tool'
    ORDER BY (c.end_reason = 'compression') DESC, (c.ended_at IS NULL) DESC,
      COALESCE((SELECT MAX(m.timestamp) FROM messages m WHERE m.session_id = c.id), c.started_at) DESC, c.started_at DESC, c.id DESC LIMIT 1`)
  return followChain(root, (id) => (next.get(id) as { id: string } | undefined)?.id)
}

/** Follows `step` from `start` to the last id of the chain; a loop in the data ends it. */
export function followChain (start: string, step: (id: string) => string | undefined): string {
  const seen = new Set([start])
  let cur = start
  for (;;) {
    const nextId = step(cur)
    if (nextId === undefined || seen.has(nextId)) return cur
    seen.add(nextId)
    cur = nextId
  }
}

const PROJECTED = { 'v0.13': ['id', 'ended_at', 'end_reason', 'message_count', 'tool_call_count', 'title', 'last_active', 'preview', 'model', 'system_prompt'], 'v0.18': ['id', 'ended_at', 'end_reason', 'message_count', 'tool_call_count', 'title', 'last_active', 'preview', 'model', 'system_prompt', 'cwd', 'git_branch', 'git_repo_root'] } as const

/** A row of the list: preview shaped, and a compressed conversation shown as its live tip. */
function richRows (db: Db, contract: Contract, rows: Row[], select: string): Row[] {
  const one = db.prepare(`SELECT ${select}, ${PREVIEW}, ${LAST_ACTIVE} FROM sessions s WHERE s.id = ?`)
  return rows.map((row) => {
    row.preview = previewOf(row._preview_raw)
    delete row._preview_raw
    // Key order as Hermes emits it: preview after last_active.
    const la = row.last_active
    delete row.last_active
    const preview = row.preview
    delete row.preview
    row.last_active = la
    row.preview = preview
    if (row.end_reason !== 'compression') return row
    const tipId = compressionTip(db, contract, row.id as string)
    if (tipId === row.id) return row
    const tip = one.get(tipId) as Row | undefined
    if (tip === undefined) return row
    tip.preview = previewOf(tip._preview_raw)
    const rootId = row.id
    for (const key of PROJECTED[contract]) if (key in row) row[key] = tip[key]
    row._lineage_root_id = rootId
    return row
  })
}

function isActive (row: Row, now: number): boolean {
  return row.ended_at === null && now - Number(row.last_active) < ACTIVE_WINDOW_SECONDS
}

/** The columns v0.18 lists, in the order of its own schema (a migrated file keeps others elsewhere). */
const V18_LIST_COLUMNS = ['id', 'source', 'user_id', 'session_key', 'chat_id', 'chat_type', 'thread_id', 'display_name', 'origin_json', 'expiry_finalized', 'model', 'model_config',
  'parent_session_id', 'started_at', 'ended_at', 'end_reason', 'message_count', 'tool_call_count', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens',
  'cwd', 'git_branch', 'git_repo_root', 'billing_provider', 'billing_base_url', 'billing_mode', 'estimated_cost_usd', 'actual_cost_usd', 'cost_status', 'cost_source', 'pricing_version', 'title',
  'api_call_count', 'handoff_state', 'handoff_platform', 'handoff_error', 'compression_failure_cooldown_until', 'compression_failure_error', 'compression_fallback_streak', 'rewind_count', 'archived']

export interface ListParams {
  readonly limit: number
  readonly offset: number
  readonly minMessages?: number
  readonly archived?: string
  readonly order?: string
  readonly source?: string | null
  readonly excludeSources?: string | null
  readonly cwdPrefix?: string | null
  readonly full?: boolean
  /** The profile named in the request (v0.18 echoes it in each row). */
  readonly profile?: string | null
  readonly now: number
}

/** GET /api/sessions */
/** The listed columns of a session (the system prompt is left to the full form). */
const LIST_SELECT = V18_LIST_COLUMNS.filter((c) => c !== 'system_prompt').map((c) => `s.${c}`).join(', ')

/**
 * CTEs `chain` (each root matching `cond` with the sessions that continue it after a compression:
 * not branches, not delegations, not tool sessions) and `chain_max` (each root's latest activity
 * anywhere in its chain, as `eff`).
 */
function compressionChains (cond: string): string {
  return `WITH RECURSIVE chain(root_id, cur_id) AS (
      SELECT s.id, s.id FROM sessions s WHERE ${cond}
      UNION
      SELECT chain.root_id, c.id FROM chain JOIN sessions p ON p.id = chain.cur_id JOIN sessions c ON c.parent_session_id = p.id
      WHERE p.end_reason = 'compression' AND json_extract(COALESCE(c.model_config, '{}'), '$._branched_from') IS NULL
        AND json_extract(COALESCE(c.model_config, '{}'), '$._delegate_from') IS NULL AND c.source != 'tool'
    ), chain_max AS (
      SELECT root_id, MAX(COALESCE((SELECT MAX(m.timestamp) FROM messages m WHERE m.session_id = x.id), x.started_at)) AS eff
      FROM chain JOIN sessions x ON x.id = chain.cur_id GROUP BY root_id
    )`
}

export function listSessions (db: Db, contract: Contract, p: ListParams): Row {
  if (contract === 'v0.13') {
    const rows = db.prepare(`SELECT s.*, ${PREVIEW}, ${LAST_ACTIVE} FROM sessions s
      WHERE (s.parent_session_id IS NULL OR ${BRANCHED_CHILD}) ORDER BY s.started_at DESC LIMIT ? OFFSET ?`).all(p.limit, p.offset) as Row[]
    const sessions = richRows(db, contract, rows, 's.*').map((r) => ({ ...r, is_active: isActive(r, p.now) }))
    const total = (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n
    return { sessions, total, limit: p.limit, offset: p.offset }
  }
  const archived = p.archived ?? 'exclude'
  if (!['exclude', 'only', 'include'].includes(archived)) throw new HermesAnswer(400, { detail: 'archived must be one of: exclude, only, include' })
  const order = p.order ?? 'created'
  if (!['created', 'recent'].includes(order)) throw new HermesAnswer(400, { detail: 'order must be one of: created, recent' })
  const where: string[] = [`(s.parent_session_id IS NULL OR json_extract(${MC}, '$._branched_from') IS NOT NULL OR ${BRANCHED_CHILD})`, `json_extract(${MC}, '$._delegate_from') IS NULL`]
  const args: unknown[] = []
  if (p.source !== undefined && p.source !== null && p.source !== '') { where.push('s.source = ?'); args.push(p.source) }
  const excluded = (p.excludeSources ?? '').split(',').filter((s) => s.trim() !== '')
  if (excluded.length > 0) { where.push(`s.source NOT IN (${excluded.map(() => '?').join(', ')})`); args.push(...excluded) }
  if (p.cwdPrefix !== undefined && p.cwdPrefix !== null && p.cwdPrefix !== '') {
    const base = p.cwdPrefix.replace(/[/\\]+$/, '')
    where.push("(s.cwd = ? OR s.cwd LIKE ? OR s.cwd LIKE ?)")
    args.push(base, `${base}/%`, `${base}\\%`)
  }
  const minMessages = Math.max(0, p.minMessages ?? 0)
  if (minMessages > 0) { where.push('s.message_count >= ?'); args.push(minMessages) }
  if (archived === 'only') where.push('s.archived = 1')
  if (archived === 'exclude') where.push('s.archived = 0')
  const cond = where.join(' AND ')
  const select = p.full === true ? 's.*' : LIST_SELECT
  let rows: Row[]
  if (order === 'created') {
    rows = db.prepare(`SELECT ${select}, ${PREVIEW}, ${LAST_ACTIVE} FROM sessions s WHERE ${cond} ORDER BY s.started_at DESC LIMIT ? OFFSET ?`).all(...args, p.limit, p.offset) as Row[]
  } else {
    // Most recent activity anywhere in a compressed conversation first.
    rows = db.prepare(`${compressionChains(cond)}
      SELECT ${select}, ${PREVIEW}, ${LAST_ACTIVE} FROM sessions s JOIN chain_max ON chain_max.root_id = s.id
      WHERE ${cond} ORDER BY chain_max.eff DESC, s.started_at DESC, s.id DESC LIMIT ? OFFSET ?`).all(...args, ...args, p.limit, p.offset) as Row[]
  }
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM sessions s WHERE ${cond}`).get(...args) as { n: number }).n
  const sessions = richRows(db, contract, rows, select).map((r) => {
    const out: Row = { ...r, is_active: isActive(r, p.now) }
    if (p.profile !== undefined && p.profile !== null) {
      out.profile = p.profile
      out.is_default_profile = p.profile === 'default'
    }
    out.archived = out.archived === 1 || out.archived === true
    if (p.full !== true) {
      delete out.system_prompt
      delete out.model_config
    }
    return out
  })
  return { sessions, total, limit: p.limit, offset: p.offset }
}

/** GET /api/sessions/{id} */
export function getSession (db: Db, contract: Contract, id: string, profile: string | null): Row {
  const sid = resolveSessionId(db, id)
  if (sid === null) throw NOT_FOUND()
  const row = db.prepare('SELECT * FROM sessions WHERE id = ?').get(sid) as Row
  if (contract === 'v0.18' && profile !== null) row.profile = profile
  return row
}

const JSON_PREFIX = '\u0000json:'

function decodeMessage (row: Row): Row {
  if (typeof row.content === 'string' && row.content.startsWith(JSON_PREFIX)) {
    try { row.content = JSON.parse(row.content.slice(JSON_PREFIX.length)) } catch {}
  }
  if (typeof row.tool_calls === 'string' && row.tool_calls !== '') {
    try { row.tool_calls = JSON.parse(row.tool_calls) } catch { row.tool_calls = [] }
  }
  return row
}

/** The session to show when resuming: the compression tip, then the newest continuation that has messages. */
function resumeTarget (db: Db, sid: string): string {
  let cur = compressionTip(db, 'v0.18', sid)
  const child = db.prepare(`SELECT id FROM sessions WHERE parent_session_id = ?
    AND json_extract(COALESCE(model_config, '{}'), '$._branched_from') IS NULL AND json_extract(COALESCE(model_config, '{}'), '$._delegate_from') IS NULL
    AND source != 'tool' ORDER BY started_at DESC, id DESC LIMIT 1`)
  const hasMessages = db.prepare('SELECT 1 FROM messages WHERE session_id = ? LIMIT 1')
  let best = hasMessages.get(cur) !== undefined ? cur : null
  const seen = new Set([cur])
  for (let i = 0; i < 32; i++) {
    const next = child.get(cur) as { id: string } | undefined
    if (next === undefined || seen.has(next.id)) break
    seen.add(next.id)
    cur = next.id
    if (hasMessages.get(cur) !== undefined) best = cur
  }
  return best ?? sid
}

export const MAX_MESSAGES_PAGE = 500

/** Which of a session's messages its answer lists, in its order, as each release pages them. */
interface MessagesQuery {
  readonly sid: string
  /** SELECT * of the rows, in the answer's order. */
  readonly sql: string
  readonly params: readonly unknown[]
  /** Their order again, for an aggregate over them. */
  readonly order: string
  /** v0.18's `pagination` (without `returned`), or null. */
  readonly page: { readonly limit: number | null, readonly offset: number } | null
}

function messagesQuery (db: Db, contract: Contract, id: string, limit: number | null, offset: number): MessagesQuery {
  const resolved = resolveSessionId(db, id)
  if (resolved === null) throw NOT_FOUND()
  if (contract === 'v0.13') {
    return { sid: resolved, sql: 'SELECT * FROM messages WHERE session_id = ? ORDER BY timestamp, id', params: [resolved], order: 'timestamp, id', page: null }
  }
  const sid = resumeTarget(db, resolved)
  const pageLimit = limit === null ? null : Math.min(limit, MAX_MESSAGES_PAGE)
  const paged = pageLimit !== null || offset !== 0
  const sql = `SELECT * FROM messages WHERE session_id = ? AND active = 1 ORDER BY id${paged ? ' LIMIT ? OFFSET ?' : ''}`
  return { sid, sql, params: paged ? [sid, pageLimit ?? -1, offset] : [sid], order: 'id', page: { limit: pageLimit, offset } }
}

const wrapMessages = (q: MessagesQuery, messages: unknown, returned: number): Row =>
  q.page === null ? { session_id: q.sid, messages } : { session_id: q.sid, messages, pagination: { ...q.page, returned } }

/** The answer to a messages query, its rows decoded one by one. */
function decodedMessages (db: Db, q: MessagesQuery): Row {
  const messages = (db.prepare(q.sql).all(...q.params) as Row[]).map(decodeMessage)
  return wrapMessages(q, messages, messages.length)
}

/** GET /api/sessions/{id}/messages, decoded row by row. */
export function sessionMessages (db: Db, contract: Contract, id: string, limit: number | null, offset: number): Row {
  return decodedMessages(db, messagesQuery(db, contract, id, limit, offset))
}

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`
const sqlName = (name: string): string => `"${name.replaceAll('"', '""')}"`
// decodeMessage in SQL: content after the prefix, and tool_calls, as the JSON they hold.
const PREFIXED = "typeof(content) = 'text' AND substr(CAST(content AS BLOB), 1, 6) = x'006a736f6e3a'"
const AFTER_PREFIX = 'CAST(substr(CAST(content AS BLOB), 7) AS TEXT)'
const TOOL_CALLS_TEXT = "typeof(tool_calls) = 'text' AND tool_calls != ''"
const FIELD: Readonly<Record<string, string>> = {
  content: `CASE WHEN ${PREFIXED} AND json_valid(${AFTER_PREFIX}) THEN json(${AFTER_PREFIX}) ELSE content END`,
  tool_calls: `CASE WHEN ${TOOL_CALLS_TEXT} THEN json(tool_calls) ELSE tool_calls END`,
}
// Rows decodeMessage would read otherwise than SQLite: JSON that SQLite does not take (invalid, or
// nested deeper than its 1000 levels, which JSON.parse takes) after the prefix or in tool_calls.
const UNDECODED = `(${PREFIXED} AND NOT json_valid(${AFTER_PREFIX})) OR (${TOOL_CALLS_TEXT} AND NOT json_valid(tool_calls))`

/**
 * The same answer as `sessionMessages`, as UTF-8 bytes in parts, its messages serialised by SQLite
 * (a third of the time: 9 ms instead of 28 for 1,500 messages, 2.3 MB, with no row becoming a JS
 * object). The values are the same; the text of numbers and escapes inside content's and
 * tool_calls' JSON is the text Hermes stored (`1.0`, `\u00e9`) where JSON.parse would rewrite it, and
 * a whole-number REAL reads `1733333333.0`, as Hermes' own server writes it. With any row SQLite
 * cannot serialise (a BLOB) or would decode otherwise, the whole answer is made row by row instead.
 */
export function sessionMessagesJson (db: Db, contract: Contract, id: string, limit: number | null, offset: number): Uint8Array[] {
  const q = messagesQuery(db, contract, id, limit, offset)
  const columns = (db.prepare('PRAGMA table_info(messages)').all() as Array<{ name: string }>).map((c) => c.name)
  const fields = columns.map((c) => `${sqlString(c)}, ${FIELD[c] ?? sqlName(c)}`).join(', ')
  let got: { messages: Buffer, n: number, undecoded: number } | undefined
  try {
    got = db.prepare(`SELECT CAST(json_group_array(json_object(${fields}) ORDER BY ${q.order}) AS BLOB) AS messages, count(*) AS n, total(${UNDECODED}) AS undecoded FROM (${q.sql})`)
      .get(...q.params) as typeof got
  } catch (err) {
    if ((err as { code?: string }).code !== 'SQLITE_ERROR') throw err
  }
  if (got === undefined || got.undecoded > 0) return [Buffer.from(JSON.stringify(decodedMessages(db, q)))]
  // The body around its messages (the session id before them is escaped: its quotes cannot end it).
  const around = JSON.stringify(wrapMessages(q, 0, got.n))
  const at = around.indexOf('"messages":0') + '"messages":'.length
  return [Buffer.from(around.slice(0, at)), got.messages, Buffer.from(around.slice(at + 1))]
}

/** GET /api/sessions/{id}/latest-descendant */
export function latestDescendantOf (db: Db, id: string): Row {
  const sid = resolveSessionId(db, id)
  if (sid === null) throw NOT_FOUND()
  const rows = db.prepare(`WITH RECURSIVE d(id) AS (SELECT ? UNION SELECT s.id FROM sessions s JOIN d ON s.parent_session_id = d.id)
    SELECT s.id, s.parent_session_id, s.started_at FROM sessions s JOIN d ON d.id = s.id`).all(sid) as Array<{ id: string, parent_session_id: string | null, started_at: number | null }>
  const children = new Map<string, typeof rows>()
  for (const r of rows) {
    if (r.parent_session_id === null) continue
    const list = children.get(r.parent_session_id) ?? []
    list.push(r)
    children.set(r.parent_session_id, list)
  }
  const path = [sid]
  const seen = new Set(path)
  for (let cur = sid; ;) {
    const next = [...(children.get(cur) ?? [])].filter((c) => !seen.has(c.id))
      .sort((a, b) => (b.started_at ?? 0) - (a.started_at ?? 0))[0]
    if (next === undefined) break
    seen.add(next.id)
    path.push(next.id)
    cur = next.id
  }
  const leaf = path[path.length - 1] as string
  return { requested_session_id: sid, session_id: leaf, path, changed: leaf !== sid }
}

/** Active sessions as /api/status counts them: of the 50 latest listed, unended with recent activity. */
export function countActive (db: Db, now: number): number {
  const rows = db.prepare(`SELECT s.ended_at, ${LAST_ACTIVE} FROM sessions s
    WHERE (s.parent_session_id IS NULL OR ${BRANCHED_CHILD}) ORDER BY s.started_at DESC LIMIT 50`).all() as Row[]
  return rows.filter((r) => isActive(r, now)).length
}

/** GET /api/sessions/stats (v0.18) */
export function sessionStats (db: Db): Row {
  const one = (sql: string): number => (db.prepare(sql).get() as { n: number }).n
  const bySource: Record<string, number> = {}
  const rows = db.prepare(`SELECT s.source FROM sessions s
    WHERE (s.parent_session_id IS NULL OR json_extract(${MC}, '$._branched_from') IS NOT NULL OR ${BRANCHED_CHILD})
      AND json_extract(${MC}, '$._delegate_from') IS NULL ORDER BY s.started_at DESC LIMIT 10000`).all() as Array<{ source: string | null }>
  for (const r of rows) {
    const key = r.source === null || r.source === '' ? 'cli' : r.source
    bySource[key] = (bySource[key] ?? 0) + 1
  }
  return {
    total: one('SELECT COUNT(*) AS n FROM sessions'),
    active_store: one('SELECT COUNT(*) AS n FROM sessions WHERE archived = 0'),
    archived: one('SELECT COUNT(*) AS n FROM sessions WHERE archived = 1'),
    messages: one('SELECT COUNT(*) AS n FROM messages'),
    by_source: bySource,
  }
}

/** GET /api/sessions/empty/count (v0.18) */
export function emptyCount (db: Db): Row {
  return { count: (db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE message_count = 0 AND ended_at IS NOT NULL AND archived = 0').get() as { n: number }).n }
}

/** The live tip of a compressed conversation, as v0.18 shows it (search answers with it). */
export function tipOf (db: Db, root: string): string {
  return compressionTip(db, 'v0.18', root)
}

/**
 * v0.18's search by session id: listed sessions (archived too) whose id, or a continuation's,
 * contains the needle, most recent first, then exact matches, prefixes and the rest.
 */
export function idMatches (db: Db, needle: string, limit: number): Row[] {
  const like = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  const cond = `(s.parent_session_id IS NULL OR json_extract(${MC}, '$._branched_from') IS NOT NULL OR ${BRANCHED_CHILD}) AND json_extract(${MC}, '$._delegate_from') IS NULL`
  const rows = db.prepare(`${compressionChains(cond)}
    SELECT ${LIST_SELECT}, ${PREVIEW}, ${LAST_ACTIVE} FROM sessions s JOIN chain_max ON chain_max.root_id = s.id
    WHERE ${cond} AND EXISTS (SELECT 1 FROM chain cq WHERE cq.root_id = s.id AND LOWER(cq.cur_id) LIKE ? ESCAPE '\\')
    ORDER BY chain_max.eff DESC, s.started_at DESC, s.id DESC LIMIT ?`).all(like, limit * 4) as Row[]
  const rank = (r: Row): number => {
    const ids = [String(r.id).toLowerCase(), String(r._lineage_root_id ?? r.id).toLowerCase()]
    return ids.includes(needle) ? 0 : ids.some((i) => i.startsWith(needle)) ? 1 : 2
  }
  return richRows(db, 'v0.18', rows, LIST_SELECT).map((r, i) => ({ r, i, k: rank(r) })).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.r).slice(0, limit)
}
