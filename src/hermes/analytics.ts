// src/hermes/analytics.ts
// GET /api/analytics/usage and /api/analytics/models as each known Hermes answers them. The
// aggregation is SQL over sessions (token totals per session); the skill and tool counts Hermes
// gathers by parsing every assistant message's tool_calls in Python are counted the same way, by
// insights.ts. These are the heavy reads: routes run them on the worker (state-worker.ts), which
// keeps the insight tallies between requests, never on the event loop.

import type { Contract } from './contract.js'
import { createInsights, type Insights } from './insights.js'
import type { Db } from './state-db.js'

type Row = Record<string, unknown>

const ZERO_SKILLS = Object.freeze({ summary: { total_skill_loads: 0, total_skill_edits: 0, total_skill_actions: 0, distinct_skills_used: 0 }, top_skills: [] })

/** GET /api/analytics/usage?days= */
export function analyticsUsage (db: Db, contract: Contract, days: number, now: number, insights: Insights = createInsights(contract === 'v0.18')): Row {
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
  const any = db.prepare('SELECT 1 FROM sessions WHERE started_at >= ? LIMIT 1').get(cutoff) !== undefined
  const found = any ? insights.summary(db, cutoff) : { skills: ZERO_SKILLS, tools: [] }
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
