// src/routes/status.ts
// GET /api/status: public liveness and gateway state, read from HERMES_HOME. Local paths and the
// gateway pid are shown only to a caller that is authenticated (or needs no credential).

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { reportedConfigVersions, statedConfigVersion } from '../hermes/config-yaml.js'
import { CONTRACTS, contractOf } from '../hermes/contract.js'
import { readGateway } from '../hermes/gateway.js'
import type { Backend } from '../backend/supervisor.js'
import type { HermesHome } from '../hermes/home.js'
import type { StateDb } from '../hermes/state-db.js'
import { countActiveSessions } from '../hermes/sessions.js'
import type { VersionProbe } from '../hermes/version.js'

interface Opts {
  readonly home: HermesHome
  readonly backend: Backend
  readonly stateDb: StateDb
  /** How the read routes are answered, per profile (native: vN, or forwarded and why). */
  readonly readDecisions: ReadonlyMap<string, string>
  readonly version: VersionProbe
  readonly dashboard: { readonly name: string, readonly version: string, readonly trust_mode: string }
}

/** How long an answer of /api/status is reused (Hermes' own caches the gateway's pid for 1 s). */
export const STATUS_TTL_MS = 250

/** Fields that say where things are on this host: shown (from here) only to an authenticated caller. */
const HOST_FIELDS = new Set(['hermes_home', 'config_path', 'env_path', 'gateway_pid', 'gateway_health_url', 'gateways'])

export async function statusRoutes (fastify: FastifyInstance, opts: Opts): Promise<void> {
  // Every page polls this: an answer is reused for STATUS_TTL_MS (per profile, and whether the
  // caller may see this host's details), kept as its JSON without the closing brace; the files
  // behind it are read again after that.
  const recent = new Map<string, { at: number, json: string }>()
  // The dashboard's own part is always current, and written as text: an object built per request
  // by spreading another and adding keys (what this did) outlived the young generation by the
  // hundreds of KB per collection under a page's polling (V8 promoted ~1 KB of every answer), and
  // the collections that copy them are the event loop's longest stops.
  const named = JSON.stringify(opts.dashboard).slice(0, -1)
  fastify.get('/api/status', { config: { access: 'public' } }, async (request, reply) => {
    const authenticated = request.trust.verdict.allow && request.trust.verdict.authenticated
    const cacheKey = `${request.trust.profile ?? 'default'}\0${String(authenticated)}`
    let hit = recent.get(cacheKey)
    if (hit === undefined || Date.now() - hit.at >= STATUS_TTL_MS) {
      const json = JSON.stringify(await compute(request))
      if (recent.size > 256) recent.clear()
      hit = { at: Date.now(), json: json === '{}' ? '{' : `${json.slice(0, -1)},` }
      recent.set(cacheKey, hit)
    }
    return reply.type('application/json; charset=utf-8').send(`${hit.json}"dashboard":${dashboardPart(authenticated)}}`)
  })

  /** The `dashboard` field's JSON: its name, version and trust mode, then the backend's state. */
  function dashboardPart (authenticated: boolean): string {
    const backend = opts.backend.status()
    const shown = authenticated ? backend : { mode: backend.mode, state: backend.state, kind: backend.kind }
    return `${named},"backend":${JSON.stringify(shown)}${authenticated ? `,"reads":${JSON.stringify(Object.fromEntries(opts.readDecisions))}` : ''}}`
  }

  async function compute (request: FastifyRequest): Promise<Record<string, unknown>> {
    const profile = opts.home.profile(request.trust.profile)
    const gateway = readGateway(profile)
    const runtime = gateway.runtime
    // As Hermes: no state file, no state; one that says running while no process runs is stopped,
    // and a process that runs is running whatever an old file says.
    let state = runtime?.gatewayState ?? null
    if (runtime !== null && !gateway.running && state !== 'stopped' && state !== 'startup_failed') state = 'stopped'
    if (runtime !== null && gateway.running && (state === null || state === 'stopped')) state = 'running'
    const activeAgents = gateway.running ? runtime?.activeAgents ?? 0 : 0
    // Hermes' own server knows what only its Python computes (whether it may update itself, its
    // drain timeout, its sign-in state, the profile topology): its last answer to the health checks.
    const theirs = opts.backend.lastStatus()
    let { version, releaseDate } = opts.version.current()
    if (version === 'unknown' && typeof theirs?.version === 'string') {
      version = theirs.version
      releaseDate = typeof theirs.release_date === 'string' ? theirs.release_date : ''
    }
    const contract = contractOf(version)
    const spec = contract === null ? null : CONTRACTS[contract]
    const theirLatest = typeof theirs?.latest_config_version === 'number' ? theirs.latest_config_version : null
    const cfg = reportedConfigVersions(statedConfigVersion(profile), theirLatest ?? spec?.configVersion ?? null, spec?.absentConfigVersionIsLegacy ?? false)
    const body: Record<string, unknown> = {
      version,
      release_date: releaseDate,
      config_version: cfg.current,
      latest_config_version: cfg.latest,
      can_update_hermes: theirs?.can_update_hermes ?? true,
      gateway_running: gateway.running,
      gateway_state: state,
      gateway_platforms: gateway.running ? runtime?.platforms ?? {} : {},
      gateway_exit_reason: runtime?.exitReason ?? null,
      gateway_updated_at: runtime?.updatedAt ?? null,
      active_agents: activeAgents,
      gateway_busy: gateway.running && state === 'running' && activeAgents > 0,
      gateway_drainable: gateway.running && state === 'running',
      // Hermes' default, when its server is not there to say what is configured.
      restart_drain_timeout: theirs?.restart_drain_timeout ?? 180,
      active_sessions: await countActiveSessions(opts.stateDb, profile),
      auth_required: false,
      auth_providers: [],
      nous_session_valid: theirs?.nous_session_valid ?? 'unknown',
      // Listed only for a release that shows them (v0.13's answer has no profiles).
      profiles: theirs?.profiles ?? (spec === null || spec.statusKeys.includes('profiles') ? opts.home.profileNames() : []),
      gateway_mode: theirs?.gateway_mode ?? (gateway.running ? 'single' : 'none'),
    }
    // Anything else Hermes' server answers (a newer release's fields) is added as it said it, but
    // `dashboard`: ours, appended last.
    if (theirs !== null) for (const [k, v] of Object.entries(theirs)) if (!(k in body) && !HOST_FIELDS.has(k) && k !== 'dashboard') body[k] = v
    if (request.trust.verdict.allow && request.trust.verdict.authenticated) {
      Object.assign(body, {
        hermes_home: profile.dir,
        config_path: profile.show('config.yaml'),
        env_path: profile.show('.env'),
        gateway_pid: gateway.pid,
        gateway_health_url: null,
        gateways: Array.isArray(theirs?.gateways) ? theirs.gateways : gateway.running ? [{ profile: profile.name, ports: [] }] : [],
      })
    }
    // A known release gets its own fields in its own order; an unknown one all of them.
    if (spec === null) return body
    const shaped: Record<string, unknown> = {}
    for (const k of spec.statusKeys) if (k in body) shaped[k] = body[k]
    return shaped
  }
}
