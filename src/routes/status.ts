// src/routes/status.ts
// GET /api/status: public liveness and gateway state, read from HERMES_HOME. Local paths and the
// gateway pid are shown only to a caller that is authenticated (or needs no credential).

import type { FastifyInstance } from 'fastify'
import { configVersion } from '../hermes/config-yaml.js'
import { readGateway } from '../hermes/gateway.js'
import type { Backend } from '../backend/supervisor.js'
import type { HermesHome } from '../hermes/home.js'
import { countActiveSessions } from '../hermes/sessions.js'
import type { VersionProbe } from '../hermes/version.js'

interface Opts {
  readonly home: HermesHome
  readonly backend: Backend
  readonly version: VersionProbe
  readonly dashboard: { readonly name: string, readonly version: string, readonly trust_mode: string }
}

export async function statusRoutes (fastify: FastifyInstance, opts: Opts): Promise<void> {
  fastify.get('/api/status', { config: { access: 'public' } }, async (request) => {
    const profile = opts.home.profile(request.trust.profile)
    const gateway = readGateway(profile)
    const runtime = gateway.runtime
    let state = runtime?.gatewayState ?? null
    if (!gateway.running && state !== 'stopped' && state !== 'startup_failed') state = 'stopped'
    const activeAgents = gateway.running ? runtime?.activeAgents ?? 0 : 0
    const cfg = configVersion(profile)
    const { version, releaseDate } = opts.version.current()
    const body: Record<string, unknown> = {
      version,
      release_date: releaseDate,
      config_version: cfg,
      // Hermes' own default schema version is not known here; equal values never raise a false alarm.
      latest_config_version: cfg,
      can_update_hermes: true,
      gateway_running: gateway.running,
      gateway_state: state,
      gateway_platforms: gateway.running ? runtime?.platforms ?? {} : {},
      gateway_exit_reason: runtime?.exitReason ?? null,
      gateway_updated_at: runtime?.updatedAt ?? null,
      active_agents: activeAgents,
      gateway_busy: gateway.running && state === 'running' && activeAgents > 0,
      gateway_drainable: gateway.running && state === 'running',
      active_sessions: await countActiveSessions(profile),
      auth_required: false,
      auth_providers: [],
      auth_flows: [],
      dashboard: opts.dashboard,
    }
    const backend = opts.backend.status()
    if (request.trust.verdict.allow && request.trust.verdict.authenticated) {
      Object.assign(body, {
        hermes_home: profile.dir,
        config_path: profile.show('config.yaml'),
        env_path: profile.show('.env'),
        gateway_pid: gateway.pid,
        gateway_health_url: null,
      })
      body.dashboard = { ...opts.dashboard, backend }
    } else {
      body.dashboard = { ...opts.dashboard, backend: { mode: backend.mode, state: backend.state, kind: backend.kind } }
    }
    return body
  })
}
