// src/routes/actions.ts
// The action starters (update, gateway restart/start/stop) and the status poller the update modal uses.

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { findAction } from '../actions/table.js'
import type { ActionRunner } from '../actions/runner.js'
import { DashboardError } from '../errors.js'
import type { Forwarder } from '../backend/forward.js'
import type { HermesHome } from '../hermes/home.js'

export const DEFAULT_LINES = 200
export const MAX_LINES = 2000

/** `lines` must be a plain non-negative integer; it is then clamped to 1..2000 as Hermes does. */
export function parseLines (value: unknown): number {
  if (value === undefined) return DEFAULT_LINES
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) {
    throw new DashboardError('HD_ERR_QUERY_INVALID', `lines must be a whole number, got ${JSON.stringify(String(value).slice(0, 32))}`, 'Use lines=1 to lines=2000.')
  }
  return Math.min(MAX_LINES, Math.max(1, Number(value)))
}

interface Opts {
  readonly runner: ActionRunner
  readonly home: HermesHome
  /** Hermes' own server, which owns the actions it starts itself (doctor, backup, …); null when off. */
  readonly forwarder: Forwarder | null
}

export async function actionRoutes (fastify: FastifyInstance, opts: Opts): Promise<void> {
  const { runner, home } = opts

  function starter (name: string) {
    const spec = findAction(name)
    if (spec === undefined) throw new Error(`no action ${name}`)
    return async (request: FastifyRequest) => {
      const profile = home.profile(request.trust.profile)
      const profileArgs = spec.profiled && !profile.isDefault ? ['-p', profile.name] : []
      return await runner.start(spec, profileArgs)
    }
  }

  // `hermes update` is global; the gateway runs per profile (`-p <profile>`).
  fastify.post('/api/hermes/update', starter('hermes-update'))
  for (const verb of ['restart', 'start', 'stop']) fastify.post(`/api/gateway/${verb}`, { config: { profiled: true } }, starter(`gateway-${verb}`))

  // One owner per action name: the ones this server starts are answered here; those Hermes' own
  // server starts (System page operations) are asked of it, which knows whether they still run.
  fastify.get<{ Params: { name: string }, Querystring: Record<string, unknown> }>('/api/actions/:name/status', async (request, reply) => {
    const { name } = request.params
    const lines = parseLines(request.query.lines)
    const spec = findAction(name)
    if (opts.forwarder !== null && spec?.subcommand == null) return await opts.forwarder.http(request, reply)
    if (spec === undefined) throw new DashboardError('HD_ERR_ACTION_UNKNOWN', `Unknown action: ${name.slice(0, 128)}`)
    return { name: spec.name, ...runner.status(spec.name), lines: await runner.tail(spec, lines) }
  })
}
