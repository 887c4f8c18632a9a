// src/hermes/analytics.ts
// GET /api/analytics/usage and /api/analytics/models as each known Hermes answers them. The
// aggregation is SQL over sessions (token totals per session); the skill and tool counts Hermes
// gathers by parsing every assistant message's tool_calls in Python are counted here the same way,
// from one scan of messages. These are the heavy reads: routes run them on the worker
// (state-worker.ts), never on the event loop.

import type { Contract } from './contract.js'
import type { Db } from './state-db.js'

type Row = Record<string, unknown>

const ZERO_SKILLS = Object.freeze({ summary: { total_skill_loads: 0, total_skill_edits: 0, total_skill_actions: 0, distinct_skills_used: 0 }, top_skills: [] })

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
    const e = skills.get(name) ?? { skill: name, view_count: 0, manage_count: 0, last_used_at: null }
    if (tool === 'skill_view') e.view_count++
    else e.manage_count++
    if (ts !== null && (e.last_used_at === null || ts > e.last_used_at)) e.last_used_at = ts
    skills.set(name, e)
  }
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
function countCalls (calls: unknown, counts: Map<unknown, number>): void {
  if (!Array.isArray(calls)) return
  for (const call of calls) {
    const func = isDict(call) && Object.hasOwn(call, 'function') ? call.function : {}
    if (!isDict(func)) return
    const name = func.name
    if (!truthy(name)) continue
    if (typeof name === 'object') return
    counts.set(name, (counts.get(name) ?? 0) + 1)
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

/** Tool use (v0.18): tool messages by tool_name and assistant tool_calls by name, the larger of the two per tool. */
function toolSummary (byName: Map<unknown, number>, byCall: Map<unknown, number>): Row[] {
  let counts: Map<unknown, number>
  if (byName.size === 0) counts = byCall
  else if (byCall.size === 0) counts = byName
  else {
    counts = new Map()
    for (const t of new Set([...byName.keys(), ...byCall.keys()])) counts.set(t, Math.max(byName.get(t) ?? 0, byCall.get(t) ?? 0))
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0)
  // Counter.most_common(): by count, descending; equal counts keep the order they were first counted.
  return [...counts.entries()].map(([tool, count], i) => ({ tool, count, i })).sort((a, b) => b.count - a.count || a.i - b.i)
    .map(({ tool, count }) => ({ tool, count, percentage: total === 0 ? 0 : count / total * 100 }))
}

/**
 * The skill (and on v0.18 the tool) breakdown of the sessions started since cutoff. Hermes parses
 * every assistant message's tool_calls in Python; here SQLite only finds the rows (one scan of
 * messages) and each row's JSON is parsed once, in JavaScript, which is quicker than SQLite's JSON
 * functions on a large home.
 */
function insights (db: Db, cutoff: number, tools: boolean): { skills: Row, tools: Row[] } {
  const skills = new Map<string, SkillUse>()
  const byCall = new Map<unknown, number>()
  const rows = db.prepare(`SELECT m.tool_calls, m.timestamp FROM messages m JOIN sessions s ON s.id = m.session_id
    WHERE s.started_at >= ? AND m.role = 'assistant' AND m.tool_calls IS NOT NULL
    -- Hermes writes tool_calls with json.dumps, which never escapes ASCII: when only skills are
    -- counted, a message without the bytes skill_ has no skill call, and is not parsed at all.
    ${tools ? '' : "AND instr(m.tool_calls, 'skill_') > 0"}`).raw(true).all(cutoff) as Array<[unknown, number | null]>
  for (const [text, ts] of rows) {
    const calls = parsed(text)
    countSkills(calls, ts, skills)
    if (tools) countCalls(calls, byCall)
  }
  if (!tools) return { skills: skillSummary(skills), tools: [] }
  const byName = new Map<unknown, number>()
  for (const [t, n] of db.prepare(`SELECT m.tool_name, COUNT(*) AS n FROM messages m JOIN sessions s ON s.id = m.session_id
    WHERE s.started_at >= ? AND m.role = 'tool' AND m.tool_name IS NOT NULL GROUP BY m.tool_name ORDER BY n DESC`).raw(true).all(cutoff) as Array<[unknown, number]>) byName.set(t, n)
  return { skills: skillSummary(skills), tools: toolSummary(byName, byCall) }
}

/** GET /api/analytics/usage?days= */
export function analyticsUsage (db: Db, contract: Contract, days: number, now: number): Row {
  const cutoff = now - days * 86400
  const daily = db.prepare(`SELECT date(started_at, 'unixepoch') AS day, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
      SUM(cache_read_tokens) AS cache_read_tokens, SUM(reasoning_tokens) AS reasoning_tokens, COALESCE(SUM(estimated_cost_usd), 0) AS estimated_cost,
      COALESCE(SUM(actual_cost_usd), 0) AS actual_cost, COUNT(*) AS sessions, SUM(COALESCE(api_call_count, 0)) AS api_calls
    FROM sessions WHERE started_at > ? GROUP BY day ORDER BY day`).all(cutoff)
  const byModel = db.prepare(`SELECT model, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, COALESCE(SUM(estimated_cost_usd), 0) AS estimated_cost,
      COUNT(*) AS sessions, SUM(COALESCE(api_call_count, 0)) AS api_calls
    FROM sessions WHERE started_at > ? AND model IS NOT NULL GROUP BY model ORDER BY SUM(input_tokens) + SUM(output_tokens) DESC`).all(cutoff)
  const totals = db.prepare(`SELECT SUM(input_tokens) AS total_input, SUM(output_tokens) AS total_output, SUM(cache_read_tokens) AS total_cache_read,
      SUM(reasoning_tokens) AS total_reasoning, COALESCE(SUM(estimated_cost_usd), 0) AS total_estimated_cost, COALESCE(SUM(actual_cost_usd), 0) AS total_actual_cost,
      COUNT(*) AS total_sessions, SUM(COALESCE(api_call_count, 0)) AS total_api_calls
    FROM sessions WHERE started_at > ?`).get(cutoff)
  const insightCutoff = cutoff
  const any = db.prepare('SELECT 1 FROM sessions WHERE started_at >= ? LIMIT 1').get(insightCutoff) !== undefined
  const found = any ? insights(db, insightCutoff, contract === 'v0.18') : { skills: ZERO_SKILLS, tools: [] }
  const body: Row = { daily, by_model: byModel, totals, period_days: days, skills: found.skills }
  if (contract === 'v0.18') body.tools = found.tools
  return body
}

/** What Hermes knows of a model from its models.dev cache (HERMES_HOME/models_dev_cache.json); {} when nothing. */
export type Capabilities = (model: string, provider: string) => Record<string, unknown>

const USAGE_KEYS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'reasoning_tokens', 'estimated_cost', 'actual_cost', 'api_calls', 'tool_calls'] as const

/** GET /api/analytics/models?days= */
export function analyticsModels (db: Db, contract: Contract, days: number, now: number, capabilities: Capabilities): Row {
  const cutoff = now - days * 86400
  let rows = db.prepare(`SELECT model, billing_provider, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cache_read_tokens) AS cache_read_tokens,
      SUM(reasoning_tokens) AS reasoning_tokens, COALESCE(SUM(estimated_cost_usd), 0) AS estimated_cost, COALESCE(SUM(actual_cost_usd), 0) AS actual_cost,
      COUNT(*) AS sessions, SUM(COALESCE(api_call_count, 0)) AS api_calls, SUM(tool_call_count) AS tool_calls, MAX(started_at) AS last_used_at,
      AVG(input_tokens + output_tokens) AS avg_tokens_per_session
    FROM sessions WHERE started_at > ? AND model IS NOT NULL AND model != '' GROUP BY model, billing_provider
    ORDER BY SUM(input_tokens) + SUM(output_tokens) DESC`).all(cutoff) as Row[]
  if (contract === 'v0.18') {
    // A model seen with one provider and also without any, unused there: one row, as v0.18 shows it.
    const byModel = new Map<string, Row[]>()
    for (const r of rows) byModel.set(r.model as string, [...(byModel.get(r.model as string) ?? []), r])
    const folded: Row[] = []
    for (const group of byModel.values()) {
      const withProvider = group.filter((r) => r.billing_provider !== null && r.billing_provider !== '')
      const idle = group.filter((r) => (r.billing_provider === null || r.billing_provider === '') && USAGE_KEYS.every((k) => Number(r[k] ?? 0) === 0))
      if (withProvider.length === 1 && idle.length > 0) {
        const keep = { ...withProvider[0] } as Row
        for (const r of idle) {
          keep.sessions = Number(keep.sessions) + Number(r.sessions)
          keep.last_used_at = Math.max(Number(keep.last_used_at ?? 0), Number(r.last_used_at ?? 0))
        }
        keep.avg_tokens_per_session = (Number(keep.input_tokens ?? 0) + Number(keep.output_tokens ?? 0)) / Number(keep.sessions)
        folded.push(keep, ...group.filter((r) => r !== withProvider[0] && !idle.includes(r)))
      } else {
        folded.push(...group)
      }
    }
    rows = folded.map((r, i) => ({ r, i })).sort((a, b) => (Number(b.r.input_tokens ?? 0) + Number(b.r.output_tokens ?? 0)) - (Number(a.r.input_tokens ?? 0) + Number(a.r.output_tokens ?? 0)) || a.i - b.i).map((x) => x.r)
  }
  const models = rows.map((r) => ({
    model: r.model, provider: r.billing_provider ?? '', input_tokens: r.input_tokens, output_tokens: r.output_tokens, cache_read_tokens: r.cache_read_tokens,
    reasoning_tokens: r.reasoning_tokens, estimated_cost: r.estimated_cost, actual_cost: r.actual_cost, sessions: r.sessions, api_calls: r.api_calls,
    tool_calls: r.tool_calls, last_used_at: r.last_used_at, avg_tokens_per_session: r.avg_tokens_per_session,
    capabilities: capabilities(r.model as string, (r.billing_provider as string | null) ?? ''),
  }))
  const totals = db.prepare(`SELECT COUNT(DISTINCT model) AS distinct_models, SUM(input_tokens) AS total_input, SUM(output_tokens) AS total_output,
      SUM(cache_read_tokens) AS total_cache_read, SUM(reasoning_tokens) AS total_reasoning, COALESCE(SUM(estimated_cost_usd), 0) AS total_estimated_cost,
      COALESCE(SUM(actual_cost_usd), 0) AS total_actual_cost, COUNT(*) AS total_sessions, SUM(COALESCE(api_call_count, 0)) AS total_api_calls
    FROM sessions WHERE started_at > ? AND model IS NOT NULL AND model != ''`).get(cutoff)
  return { models, totals, period_days: days }
}
