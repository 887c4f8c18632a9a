// src/routes/hermes-reads.ts
// The read routes people wait on, answered natively from Hermes' files for the Hermes releases this
// project knows (hermes/contract.ts): sessions, search, messages, analytics, logs. For any other
// release, or while Hermes' database is locked through every retry, the request goes to Hermes' own
// server as any other route would. Trust and the profile were decided by the hook; the handlers
// parse parameters, pick the contract, and send what hermes/ computed.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { finished } from 'node:stream'
import type { Forwarder } from '../backend/forward.js'
import { backendOffError } from '../backend/supervisor.js'
import { DashboardError } from '../errors.js'
import { slicedBody } from '../http/sliced-body.js'
import type { Capabilities } from '../hermes/analytics.js'
import type { Contract } from '../hermes/contract.js'
import type { HermesHome, ProfileDir } from '../hermes/home.js'
import { readLogs } from '../hermes/logs.js'
import type { NativeReads } from '../hermes/native-reads.js'
import type { ReadWorker } from '../hermes/read-worker.js'
import { searchSessions } from '../hermes/search.js'
import { emptyCount, getSession, HermesAnswer, idMatches, latestDescendantOf, listSessions, sessionStats, tipOf } from '../hermes/sessions-read.js'
import type { Db, StateDb } from '../hermes/state-db.js'

interface Opts {
  readonly home: HermesHome
  readonly stateDb: StateDb
  readonly reads: NativeReads
  readonly worker: ReadWorker
  /** null: no Hermes server behind (then everything is answered here). */
  readonly forwarder: Forwarder | null
  /** A profile's model capabilities, from Hermes' models.dev cache: the catalogue read once per request. */
  readonly capabilities: (profile: ProfileDir) => Capabilities
}

type Query = Record<string, string | string[] | undefined>

const INT_RE = /^[+-]?\d{1,15}$/

/** An integer query parameter as FastAPI takes one; a value that is not one is 400 query_invalid. */
function int (q: Query, name: string, fallback: number): number
function int (q: Query, name: string, fallback: null): number | null
function int (q: Query, name: string, fallback: number | null): number | null {
  const v = q[name]
  if (v === undefined) return fallback
  const text = Array.isArray(v) ? v[v.length - 1] as string : v
  if (!INT_RE.test(text.trim())) throw new DashboardError('HD_ERR_QUERY_INVALID', `${name} must be a whole number of at most 15 digits, got ${JSON.stringify(text.slice(0, 40))}`)
  return Number(text.trim())
}

function str (q: Query, name: string): string | null {
  const v = q[name]
  if (v === undefined) return null
  return Array.isArray(v) ? v[v.length - 1] as string : v
}

function bool (q: Query, name: string): boolean {
  const v = str(q, name)
  if (v === null) return false
  if (/^(1|true|yes|on)$/i.test(v)) return true
  if (/^(0|false|no|off)$/i.test(v)) return false
  throw new DashboardError('HD_ERR_QUERY_INVALID', `${name} must be true or false, got ${JSON.stringify(v.slice(0, 40))}`)
}

/** A body already serialised (by the worker), as UTF-8 bytes; `release`: of bytes lent until the response ends. */
class JsonText {
  constructor (readonly bytes: Buffer, readonly release: (() => void) | null = null) {}
}

const MAX_ID = 256
const MAX_QUERY = 8 * 1024

interface Ctx {
  readonly request: FastifyRequest
  readonly profile: ProfileDir
  readonly contract: Contract
  readonly q: Query
  readonly now: number
}

export async function hermesReadRoutes (fastify: FastifyInstance, opts: Opts): Promise<void> {
  const { home, stateDb, reads, forwarder } = opts

  /** Reads the profile's state.db, or answers as Hermes does for a home that has none. */
  const db = async <T>(ctx: Ctx, fn: (db: Db) => T, none: () => T): Promise<T> => (await stateDb.read(ctx.profile, fn)) ?? none()

  /**
   * One native route: the contract, the cache, Hermes' own 4xx answers, and the way back to Hermes'
   * server when this release is not one answered here.
   */
  const route = (url: string, compute: (ctx: Ctx) => Promise<unknown>, options: { cacheKey?: (ctx: Ctx) => string | null } = {}): void => {
    fastify.get(url, async (request: FastifyRequest, reply: FastifyReply) => {
      const profile = home.profile(request.trust.profile)
      const choice = await reads.contract(profile)
      if (choice.contract === null) {
        if (forwarder !== null) return await forwarder.http(request, reply)
        throw backendOffError()
      }
      const ctx: Ctx = { request, profile, contract: choice.contract, q: request.query as Query, now: Date.now() / 1000 }
      try {
        const key = options.cacheKey?.(ctx) ?? null
        const text = async (): Promise<string | Buffer> => {
          const v = await compute(ctx)
          if (!(v instanceof JsonText)) return JSON.stringify(v)
          // Lent bytes are given back once the response is with the kernel, or the client has gone
          // (if it went while the worker computed, finished() calls back at once); they are larger
          // than the cache keeps.
          if (v.release !== null) finished(reply.raw, v.release)
          return v.bytes
        }
        const body = key === null ? await text() : await reads.cached(profile, `${choice.contract}\0${url}\0${key}`, text)
        reply.header('x-hermes-dashboard-source', 'native').type('application/json; charset=utf-8')
        if (typeof body === 'string') return reply.send(body)
        // The worker's bytes, a long conversation's megabytes among them, go out in slices.
        return reply.header('content-length', body.length).send(slicedBody(body))
      } catch (err) {
        if (err instanceof HermesAnswer) return reply.code(err.status).header('x-hermes-dashboard-source', 'native').send(err.body)
        // Locked through every retry: Hermes' own server may get through; else say so.
        if (err instanceof DashboardError && err.code === 'HD_ERR_STATE_DB_BUSY' && forwarder !== null) return await forwarder.http(request, reply)
        throw err
      }
    })
  }
  const whole = (ctx: Ctx): string => new URLSearchParams(ctx.q as Record<string, string>).toString()

  route('/api/sessions', async (ctx) => {
    const { q } = ctx
    const named = ctx.request.trust.view.profile
    const p = {
      limit: int(q, 'limit', 20),
      offset: int(q, 'offset', 0),
      minMessages: int(q, 'min_messages', 0),
      archived: str(q, 'archived') ?? 'exclude',
      order: str(q, 'order') ?? 'created',
      source: str(q, 'source'),
      excludeSources: str(q, 'exclude_sources'),
      cwdPrefix: str(q, 'cwd_prefix'),
      full: bool(q, 'full'),
      profile: ctx.contract === 'v0.18' && named !== null ? ctx.profile.name : null,
      now: ctx.now,
    }
    return await db(ctx, (d) => listSessions(d, ctx.contract, p), () => ({ sessions: [], total: 0, limit: p.limit, offset: p.offset }))
  }, { cacheKey: whole })

  route('/api/sessions/search', async (ctx) => {
    const text = str(ctx.q, 'q') ?? ''
    if (text.length > MAX_QUERY) throw new DashboardError('HD_ERR_QUERY_INVALID', `q is ${text.length} characters; at most ${MAX_QUERY} are searched`)
    const limit = int(ctx.q, 'limit', 20)
    return await db(ctx, (d) => searchSessions(d, ctx.contract, text, limit, { tip: tipOf, idMatches }), () => ({ results: [] }))
  }, { cacheKey: whole })

  const sessionId = (request: FastifyRequest): string => {
    const id = (request.params as { id: string }).id
    if (id.length === 0 || id.length > MAX_ID) throw new HermesAnswer(404, { detail: 'Session not found' })
    return id
  }
  const notFound = (): never => { throw new HermesAnswer(404, { detail: 'Session not found' }) }

  route('/api/sessions/:id', async (ctx) => {
    const named = ctx.request.trust.view.profile
    return await db(ctx, (d) => getSession(d, ctx.contract, sessionId(ctx.request), named === null ? null : ctx.profile.name), notFound)
  }, { cacheKey: (ctx) => `${sessionId(ctx.request)}\0${whole(ctx)}` })

  // A long conversation is thousands of rows to decode: on the worker too.
  route('/api/sessions/:id/messages', async (ctx) => {
    const limit = ctx.contract === 'v0.18' ? int(ctx.q, 'limit', null) : null
    const offset = ctx.contract === 'v0.18' ? int(ctx.q, 'offset', 0) : 0
    const path = stateDb.path(ctx.profile)
    if (path === null) return notFound()
    const answer = await opts.worker.lend({ job: 'messages', path, contract: ctx.contract, now: ctx.now, sessionId: sessionId(ctx.request), limit, offset })
    return new JsonText(answer.bytes, answer.release)
  }, { cacheKey: (ctx) => `${sessionId(ctx.request)}\0${whole(ctx)}` })

  route('/api/sessions/:id/latest-descendant', async (ctx) => await db(ctx, (d) => latestDescendantOf(d, sessionId(ctx.request)), notFound),
    { cacheKey: (ctx) => sessionId(ctx.request) })

  // v0.18's statistics; on v0.13 these paths are a session id Hermes does not find.
  route('/api/sessions/stats', async (ctx) => {
    if (ctx.contract === 'v0.13') return notFound()
    return await db(ctx, sessionStats, () => ({ total: 0, active_store: 0, archived: 0, messages: 0, by_source: {} }))
  }, { cacheKey: () => '' })
  route('/api/sessions/empty/count', async (ctx) => {
    if (ctx.contract === 'v0.13') return notFound()
    return await db(ctx, emptyCount, () => ({ count: 0 }))
  }, { cacheKey: () => '' })

  // Analytics read every session and message of the period: on the worker, never the event loop.
  const analytics = (job: 'usage' | 'models') => async (ctx: Ctx): Promise<unknown> => {
    const days = int(ctx.q, 'days', 30)
    const path = stateDb.path(ctx.profile)
    if (path === null) {
      return job === 'usage'
        ? { daily: [], by_model: [], totals: { total_input: null, total_output: null, total_cache_read: null, total_reasoning: null, total_estimated_cost: 0, total_actual_cost: 0, total_sessions: 0, total_api_calls: null }, period_days: days, skills: { summary: { total_skill_loads: 0, total_skill_edits: 0, total_skill_actions: 0, distinct_skills_used: 0 }, top_skills: [] }, ...(ctx.contract === 'v0.18' ? { tools: [] } : {}) }
        : { models: [], totals: { distinct_models: 0, total_input: null, total_output: null, total_cache_read: null, total_reasoning: null, total_estimated_cost: 0, total_actual_cost: 0, total_sessions: 0, total_api_calls: null }, period_days: days }
    }
    const text = await opts.worker.run({ job, path, contract: ctx.contract, days, now: ctx.now })
    if (job === 'usage') return new JsonText(text)
    const body = JSON.parse(text.toString('utf8')) as { models: Array<Record<string, unknown>> }
    const capabilities = opts.capabilities(ctx.profile)
    for (const m of body.models) m.capabilities = capabilities(m.model as string, m.provider as string)
    return body
  }
  // An analytics window moves with the clock: cached by the minute as well as by content.
  route('/api/analytics/usage', analytics('usage'), { cacheKey: (ctx) => `${whole(ctx)}\0${Math.floor(ctx.now / 60)}` })
  route('/api/analytics/models', analytics('models'), { cacheKey: (ctx) => `${whole(ctx)}\0${Math.floor(ctx.now / 60)}` })

  route('/api/logs', async (ctx) => await readLogs(home.profile('default'), ctx.contract, {
    file: str(ctx.q, 'file') ?? 'agent',
    lines: int(ctx.q, 'lines', 100),
    level: str(ctx.q, 'level'),
    component: str(ctx.q, 'component'),
    search: str(ctx.q, 'search'),
  }))
}
