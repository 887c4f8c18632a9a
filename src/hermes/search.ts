// src/hermes/search.ts
// GET /api/sessions/search as each known Hermes answers it: the query rewritten the way Hermes
// rewrites it for FTS5 (prefix `*` on bare words, quoted phrases kept, operators and punctuation
// defused, dotted and dashed words quoted), CJK queries on the trigram table or LIKE, a syntax
// error an empty answer, one hit per conversation. The rewriting is pure and tested alone.

import type { Contract } from './contract.js'
import type { Db } from './state-db.js'
import { followChain } from './sessions-read.js'

type Row = Record<string, unknown>

/** What Hermes' web layer does first: each bare word becomes a prefix (`word*`), quotes stay. */
export function prefixQuery (q: string): string {
  const tokens = q.trim().match(/"[^"]*"|\S+/g) ?? []
  return tokens.map((t) => (t.startsWith('"') || t.endsWith('*') ? t : `${t}*`)).join(' ')
}

/** Hermes' FTS5 sanitiser: a query that can never be an FTS5 syntax error, per release. */
export function sanitizeFts (query: string, contract: Contract): string {
  const q = contract === 'v0.18' ? query.slice(0, 2048) : query
  // Balanced "…" phrases are kept as they are, taken left to right.
  const phrases: string[] = []
  let text = ''
  for (let i = 0; i < q.length; i++) {
    const ch = q[i] as string
    const end = ch === '"' ? q.indexOf('"', i + 1) : -1
    if (end !== -1) {
      text += `\u0000P${phrases.length}\u0000`
      phrases.push(q.slice(i, end + 1))
      i = end
    } else {
      text += ch
    }
  }
  text = text.replace(contract === 'v0.18' ? /[+{}()"^:]/g : /[+{}()"^]/g, ' ')
  text = text.replace(/\*+/g, '*').replace(/(^|\s)\*/g, '$1')
  text = text.replace(/^(AND|OR|NOT)\b\s*/i, '').replace(/\s+(AND|OR|NOT)\s*$/, '')
  text = text.replace(/\b(\w+(?:[._-]\w+)+)\b/gu, '"$1"')
  text = text.replace(/\u0000P(\d+)\u0000/g, (_m, n: string) => phrases[Number(n)] as string)
  return text.trim()
}

const CJK = /[\u4e00-\u9fff\u3400-\u4dbf\u3000-\u303f\u3040-\u30ff\uac00-\ud7af]|[\u{20000}-\u{2a6df}]/u

function cjkCount (text: string): number {
  let n = 0
  for (const ch of text) if (CJK.test(ch)) n++
  return n
}

const BASE_SELECT = (fts: string, snippet: string): string => `SELECT m.id, m.session_id, m.role, ${snippet} AS snippet, m.timestamp, m.tool_name,
  s.source, s.model, s.started_at AS session_started FROM ${fts} JOIN messages m ON m.id = ${fts}.rowid JOIN sessions s ON s.id = m.session_id`

/** Message hits for an already prefixed query, best first; [] for what FTS5 cannot parse. */
function searchMessages (db: Db, contract: Contract, query: string, limit: number): Row[] {
  const active = contract === 'v0.18' ? ' AND (m.active = 1 OR m.compacted = 1)' : ''
  const raw = query.replace(/^"+|"+$/g, '').trim()
  try {
    if (cjkCount(raw) > 0) {
      const tokens = raw.split(/\s+/).filter((t) => t !== '')
      const shortToken = contract === 'v0.18' && tokens.some((t) => cjkCount(t) > 0 && cjkCount(t) < 3)
      if (cjkCount(raw) >= 3 && !shortToken) {
        const match = tokens.map((t) => (/^(AND|OR|NOT)$/.test(t) ? t : `"${t.replace(/"/g, '""')}"`)).join(' ')
        return db.prepare(`${BASE_SELECT('messages_fts_trigram', "snippet(messages_fts_trigram, 0, '>>>', '<<<', '...', 40)")} WHERE messages_fts_trigram MATCH ?${active} ORDER BY rank LIMIT ? OFFSET 0`).all(match, limit) as Row[]
      }
      const words = contract === 'v0.18' ? tokens : [raw]
      const like = words.map(() => "(m.content LIKE ? ESCAPE '\\' OR m.tool_name LIKE ? ESCAPE '\\' OR m.tool_calls LIKE ? ESCAPE '\\')").join(' OR ')
      const args = words.flatMap((w) => { const p = `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`; return [p, p, p] })
      return db.prepare(`SELECT m.id, m.session_id, m.role, substr(m.content, max(1, instr(m.content, ?) - 40), 120) AS snippet, m.timestamp, m.tool_name,
        s.source, s.model, s.started_at AS session_started FROM messages m JOIN sessions s ON s.id = m.session_id WHERE (${like})${active} ORDER BY m.timestamp DESC LIMIT ?`).all(words[0], ...args, limit) as Row[]
    }
    const match = sanitizeFts(query, contract)
    if (match === '') return []
    return db.prepare(`${BASE_SELECT('messages_fts', "snippet(messages_fts, 0, '>>>', '<<<', '...', 40)")} WHERE messages_fts MATCH ?${active} ORDER BY rank LIMIT ? OFFSET 0`).all(match, limit) as Row[]
  } catch (err) {
    // FTS5 syntax Hermes' sanitiser let through: Hermes answers with nothing, and so do we.
    if ((err as { code?: string }).code === 'SQLITE_ERROR') return []
    throw err
  }
}

/** The root of a compressed conversation a session belongs to. */
function lineageRoot (db: Db, id: string): string {
  const parent = db.prepare(`SELECT p.id FROM sessions c JOIN sessions p ON p.id = c.parent_session_id
    WHERE c.id = ? AND p.end_reason = 'compression' AND p.ended_at IS NOT NULL AND c.started_at >= p.ended_at`)
  return followChain(id, (cur) => (parent.get(cur) as { id: string } | undefined)?.id)
}

export interface SearchDeps {
  /** The live tip of a compressed conversation (sessions-read). */
  readonly tip: (db: Db, root: string) => string
  /** Sessions whose id (or a continuation's) contains the query, as the list orders them (v0.18). */
  readonly idMatches: (db: Db, needle: string, limit: number) => Row[]
}

/** GET /api/sessions/search */
export function searchSessions (db: Db, contract: Contract, q: string, limit: number, deps: SearchDeps): Row {
  if (q.trim() === '') return { results: [] }
  const prefixed = prefixQuery(q)
  if (contract === 'v0.13') {
    const seen = new Set<string>()
    const results: Row[] = []
    for (const hit of searchMessages(db, contract, prefixed, limit)) {
      const sid = hit.session_id as string
      if (seen.has(sid)) continue
      seen.add(sid)
      results.push({ session_id: sid, snippet: hit.snippet, role: hit.role, source: hit.source, model: hit.model, session_started: hit.session_started })
    }
    return { results }
  }
  const safe = Math.max(1, Math.min(Number.isFinite(limit) && limit !== 0 ? limit : 20, 100))
  const results: Row[] = []
  const roots = new Set<string>()
  for (const s of deps.idMatches(db, q.trim().toLowerCase(), safe)) {
    const root = (s._lineage_root_id as string | undefined) ?? (s.id as string)
    if (roots.has(root) || results.length >= safe) continue
    roots.add(root)
    const preview = typeof s.preview === 'string' ? s.preview.trim() : ''
    results.push({ snippet: preview === '' ? `Session ID: ${String(s.id)}` : preview, role: null, source: s.source, model: s.model, session_started: s.started_at, session_id: s.id, lineage_root: root })
  }
  for (const hit of searchMessages(db, contract, prefixed, Math.max(safe * 5, 50))) {
    if (results.length >= safe) break
    const root = lineageRoot(db, hit.session_id as string)
    if (roots.has(root)) continue
    roots.add(root)
    results.push({ snippet: hit.snippet, role: hit.role, source: hit.source, model: hit.model, session_started: hit.session_started, session_id: deps.tip(db, root), lineage_root: root })
  }
  return { results }
}
