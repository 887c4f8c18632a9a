// src/app.ts
// The dashboard as a Fastify plugin (register it under any prefix), and createDashboard(), which
// builds a ready Fastify instance from the same options the command line takes. Never listens.

import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifyWebsocket from '@fastify/websocket'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { WebSocket } from 'ws'
import { createActionRunner } from './actions/runner.js'
import { createForwarder } from './backend/forward.js'
import { createBackend, type Backend, type BackendTiming } from './backend/supervisor.js'
import { createChatService, type ChatService } from './chat/service.js'
import { allowedHostNames, loadConfig, type Config, type ConfigSources } from './config/load.js'
import type { OptionKey } from './config/options.js'
import { DashboardError, ERRORS } from './errors.js'
import { createEventHub, type EventHub } from './events/hub.js'
import { gatewayCommandFor, readScriptHead } from './hermes/gateway-command.js'
import { modelCapabilities } from './hermes/models-dev.js'
import { openHermesHome, type HermesHome } from './hermes/home.js'
import { createNativeReads } from './hermes/native-reads.js'
import { createReadWorker, largeStateDb, type ReadWorker } from './hermes/read-worker.js'
import { createStateDb } from './hermes/state-db.js'
import { probeHermesVersion } from './hermes/version.js'
import { childEnv } from './processes/env.js'
import { findProgram } from './processes/group.js'
import { actionRoutes } from './routes/actions.js'
import { authRoutes } from './routes/auth.js'
import { eventRoutes } from './routes/events.js'
import { forwardedRoutes } from './routes/forwarded.js'
import { hermesReadRoutes } from './routes/hermes-reads.js'
import { gatewayRoutes } from './routes/gateway.js'
import { ptyRoutes } from './routes/pty.js'
import { pageRoutes } from './routes/page.js'
import { statusRoutes } from './routes/status.js'
import { trustExplainRoutes } from './routes/trust-explain.js'
import { createCapabilities } from './trust/capabilities.js'
import { builtInPolicy, type TrustPolicy } from './trust/policy.js'
import trustPlugin from './trust/plugin.js'
import { compileTrustSettings, type TrustSettings } from './trust/settings.js'
import { closeIdleSockets } from './http/idle-sockets.js'
import { drainOnClose } from './http/shutdown-drain.js'
import { prettyStream, wantsPretty } from './http/log-output.js'
import { loggerOptions } from './http/log-redaction.js'
import { keepAlive } from './ws-keepalive.js'
import { PACKAGE_ROOT, STATE_WORKER_FILE } from './package-files.js'

export const VERSION = '0.1.0'
export const BUILT_IN_WEB = join(PACKAGE_ROOT, 'web', 'dist')

/** Largest WebSocket message accepted from any client; a larger one is closed with 1009. */
export const MAX_WS_PAYLOAD = 16 * 1024 * 1024
/** Largest request body forwarded to Hermes' own server (its uploads take up to 100 MiB). */
export const MAX_FORWARDED_BODY = 128 * 1024 * 1024
/** Largest JSON body read whole to check the profile it names (Hermes' session import takes 25 MiB). */
export const MAX_INSPECTED_BODY = 32 * 1024 * 1024
/** How long a forwarded request waits for Hermes' own server to get ready before 503 backend_starting. */
export const BACKEND_READY_WAIT_MS = 10_000
/** A forwarded WebSocket with no message either way for this long is closed. */
export const BACKEND_WS_IDLE_MS = 60 * 60 * 1000
/** How long requests in progress at shutdown may take to finish before their sockets are closed. */
export const SHUTDOWN_DRAIN_MS = 2_000
/** Bytes an /api/events subscriber may have queued before it is dropped (1013). */
export const MAX_SUBSCRIBER_BUFFER = 4 * 1024 * 1024

export interface DashboardPluginOptions {
  readonly config: Config
  /** Replaces the built-in policy of the configured mode. */
  readonly policy?: TrustPolicy
  /** Environment handed to the programs the dashboard starts (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Receives the dashboard's parts once built (createDashboard decorates its instance with them). */
  readonly expose?: (parts: DashboardParts) => void
  /** The backend's clock (start, health, backoff; readyWaitMs: how long a request waits for it); tests shorten it. */
  readonly backendTiming?: BackendTimingOptions
  /** The read worker, when the caller started it already (the command line, before loading the server's modules). */
  readonly readWorker?: ReadWorker
}

export type BackendTimingOptions = Partial<BackendTiming> & { readonly readyWaitMs?: number }

export interface DashboardParts {
  readonly config: Config
  readonly settings: TrustSettings
  readonly policy: TrustPolicy
  readonly hub: EventHub
  readonly chat: ChatService
  readonly home: HermesHome
  readonly backend: Backend
}

declare module 'fastify' {
  interface FastifyInstance {
    hermes: DashboardParts
  }
}

export const dashboardPlugin: FastifyPluginAsync<DashboardPluginOptions> = async (fastify, opts) => {
  const config = opts.config
  const env = opts.env ?? process.env
  // Each chat's publisher is granted its own credential from here; never handed to a page.
  const capabilities = createCapabilities()
  const settings = compileTrustSettings({
    mode: config.trust,
    trustedProxies: config.trustedProxies,
    forwarded: config.forwarded,
    hostNames: allowedHostNames(config),
    publicBasePath: config.publicBasePath,
    mountPrefix: fastify.prefix,
    token: config.token,
    capabilities,
    identity: config.authHeader === null
      ? null
      : { userHeader: config.authHeader, groupsHeader: config.groupsHeader, separators: config.groupsSeparator, groupProfiles: config.groupProfiles },
  })
  const policy = opts.policy ?? builtInPolicy(settings)
  // Every file under HERMES_HOME is reached through this one door (hermes/home.ts).
  const home = openHermesHome(config.hermesHome)
  // One read-only handle per profile's state.db, shared by every native read.
  const stateDb = createStateDb()
  const hub = createEventHub({ maxBufferedBytes: MAX_SUBSCRIBER_BUFFER, onDrop: (channel) => fastify.log.warn({ event: 'events.slow_subscriber', channel }, 'dropped a slow /api/events subscriber') })
  const chat = createChatService({
    command: config.chatCommand,
    home,
    stateDb,
    env,
    capabilities,
    mountPrefix: settings.mountPrefix,
    listening: () => {
      const address = fastify.server.address()
      return address === null || typeof address === 'string' ? null : { address: address.address, port: address.port }
    },
    onEnd: (_key, why) => fastify.log.debug({ event: 'chat.ended', why }, 'kept-alive chat ended'),
    limits: { maxLegacy: config.maxChats },
    events: hub,
  })
  // Hermes' own server behind this one: `auto` starts it where Hermes is installed.
  const hermesProgram = findProgram(config.hermesCommand[0] as string, env.PATH)
  const installed = hermesProgram !== null
  const backendMode = config.backend.mode === 'auto' ? (installed ? 'auto' : 'off') : config.backend.mode
  const backend = createBackend({
    mode: backendMode,
    ...(config.backend.mode === 'url' ? { url: config.backend.url, token: config.backend.token } : {}),
    home,
    hermesCommand: config.hermesCommand,
    env,
    log: (level, fields, message) => fastify.log[level](fields, message),
    ...(opts.backendTiming === undefined ? {} : { timing: opts.backendTiming }),
  })
  const parts: DashboardParts = { config, settings, policy, hub, chat, home, backend }
  fastify.decorate('hermes', parts)
  opts.expose?.(parts)

  // Writes the session cookie (the trust code reads cookies itself, so no parsing hook on every request).
  if (!fastify.hasDecorator('serializeCookie')) await fastify.register(fastifyCookie, { hook: false })
  // Order matters: the trust hook must be in place before any route, WebSocket or not.
  await fastify.register(trustPlugin, { settings, policy, token: config.token })
  // Before @fastify/websocket's own preClose (which closes without a code): every socket, chat,
  // gateway and events alike, is told why it is closing.
  fastify.addHook('preClose', function (done) {
    for (const client of this.websocketServer?.clients ?? []) client.close(1001, 'server_shutdown')
    done()
  })
  if (!fastify.hasDecorator('websocketServer')) {
    await fastify.register(fastifyWebsocket, {
      options: { maxPayload: MAX_WS_PAYLOAD },
      // A socket that errors (bad frame, too large) is closed with ws's own code; log at debug only.
      errorHandler: (error: Error, socket: WebSocket, request) => {
        request.log.debug({ err: error }, 'websocket error')
        socket.terminate()
      },
    })
  }
  keepAlive(fastify)
  // Every answer says who gave it; a forwarded one says `backend` already (backend/hygiene.ts).
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('x-hermes-dashboard-source')) reply.header('x-hermes-dashboard-source', 'native')
    done(null, payload)
  })
  // Loaded only when there is a backend to forward to (a third of the start-up otherwise); without
  // one the forwarder answers 503 backend_off before it would need reply.from.
  if (backendMode !== 'off') {
    const { default: fastifyReplyFrom } = await import('@fastify/reply-from')
    await fastify.register(fastifyReplyFrom, {
      disableRequestLogging: true,
      undici: { connections: 64, connectTimeout: 5_000, headersTimeout: config.backendTimeoutMs, bodyTimeout: config.backendTimeoutMs },
    })
  }
  // Started once the server is ready, in the background: the first answer never waits for it.
  fastify.addHook('onReady', async () => { backend.start() })

  fastify.setErrorHandler((error: FastifyError | DashboardError, request, reply) => {
    if (error instanceof DashboardError) return reply.code(error.status).send(error.toJSON())
    const status = error.statusCode ?? 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    const code = status === 413 ? 'HD_ERR_BODY_TOO_LARGE' : status < 500 ? 'HD_ERR_BAD_REQUEST' : 'HD_ERR_INTERNAL'
    const body = new DashboardError(code, status < 500 ? error.message : ERRORS.HD_ERR_INTERNAL.meaning).toJSON()
    return reply.code(status).send(body)
  })

  fastify.setNotFoundHandler((request, reply) => {
    reply.code(404).send(new DashboardError('HD_ERR_NOT_FOUND', `No such endpoint: ${request.method} ${request.url.split('?')[0]?.slice(0, 256) ?? ''}`).toJSON())
  })

  const version = probeHermesVersion(config.hermesCommand, childEnv(env, { HERMES_HOME: config.hermesHome }))
  fastify.addHook('onClose', async () => {
    version.stop()
    await backend.close()
    await worker.close()
    stateDb.close()
    // Every PTY goes with the server: no chat may outlive it as an orphan.
    await chat.close()
  })

  const forwarder = createForwarder({
    backend,
    identityHeaders: [config.authHeader, config.groupsHeader].filter((h): h is string => h !== null),
    readyWaitMs: opts.backendTiming?.readyWaitMs ?? BACKEND_READY_WAIT_MS,
    bodyLimit: MAX_FORWARDED_BODY,
    maxWsPayload: MAX_WS_PAYLOAD,
    wsIdleMs: BACKEND_WS_IDLE_MS,
  })
  const worker = opts.readWorker ?? createReadWorker(STATE_WORKER_FILE)
  // On a large home the first Analytics would otherwise wait for the thread to start (about 80 ms
  // here) and for its one scan of every message (200 ms and more): both run on another core while
  // the server starts. A small home's reads are quick either way, and it keeps the thread's memory
  // (3.5 MiB) until a heavy read needs it.
  const large = largeStateDb(home.profile('default'))
  if (large !== null) {
    worker.warm(large)
    fastify.log.debug({ event: 'reads.worker_warmed' }, 'read worker started with the server: the state.db is large')
  }
  const reads = createNativeReads({
    stateDb,
    hermesVersion: () => {
      const probed = version.current().version
      if (probed !== 'unknown') return probed
      const theirs = backend.lastStatus()?.version
      return typeof theirs === 'string' ? theirs : null
    },
    backendOff: backendMode === 'off',
    onForward: (why) => fastify.log.info({ event: 'reads.forwarded', why }, `read routes are left to Hermes' own server: ${why}`),
  })
  const runner = createActionRunner({ home, command: config.hermesCommand, env })
  await fastify.register(statusRoutes, { home, backend, stateDb, readDecisions: reads.decisions, version, dashboard: { name: 'hermes-dashboard', version: VERSION, trust_mode: policy.mode } })
  await fastify.register(actionRoutes, { runner, home, forwarder: backendMode === 'off' ? null : forwarder })
  await fastify.register(eventRoutes, { hub })
  await fastify.register(ptyRoutes, { chat })
  await fastify.register(gatewayRoutes, { command: gatewayCommandFor(config.gatewayCommand, hermesProgram === null ? null : readScriptHead(hermesProgram)), home, env, maxLine: MAX_WS_PAYLOAD, maxGateways: config.maxGateways })
  await fastify.register(trustExplainRoutes, { policy, settings })
  await fastify.register(authRoutes, { tickets: settings.tickets, logoutUrl: config.logoutUrl, cookieName: settings.cookieName })
  await fastify.register(hermesReadRoutes, { home, stateDb, reads, worker, forwarder: backendMode === 'off' ? null : forwarder, capabilities: modelCapabilities })
  await fastify.register(forwardedRoutes, { forwarder, inspectLimit: MAX_INSPECTED_BODY })
  await fastify.register(pageRoutes, { webRoot: config.webDist ?? BUILT_IN_WEB })
}

export type DashboardOptions = Readonly<Partial<Record<OptionKey, unknown>>> & {
  readonly policy?: TrustPolicy
}

export interface CreateOptions {
  /** Environment read for HERMES_DASHBOARD_* and HERMES_HOME; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly argv?: readonly string[]
  /** A configuration already loaded (the command line passes its own). */
  readonly config?: Config
  readonly backendTiming?: BackendTimingOptions
  readonly readWorker?: ReadWorker
}

// Fastify loads its JSON-schema compilers (ajv, fast-json-stringify) when an instance is created: a
// third of the start-up time. No route here declares a schema, so they load only if one ever does.
const fastifyRequire = createRequire(createRequire(import.meta.url).resolve('fastify'))
type Factory = (...args: unknown[]) => unknown
const lazyCompilers = {
  buildValidator: (...args: unknown[]) => (fastifyRequire('@fastify/ajv-compiler') as () => Factory)()(...args),
  buildSerializer: (...args: unknown[]) => (fastifyRequire('@fastify/fast-json-stringify-compiler') as () => Factory)()(...args),
}

/** The Fastify instance options createDashboard uses (the benchmark builds its reference with them). */
export function fastifyOptions (config: Config): FastifyServerOptions {
  return {
    logger: {
      ...loggerOptions(config.logLevel, [config.token]),
      ...(wantsPretty(config.logFormat, process.stdout.isTTY) ? { stream: prettyStream(process.stdout.isTTY) } : {}),
    },
    // One line per request would drown the lines that matter (refusals, failures).
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    bodyLimit: 1024 * 1024,
    // Idle sockets (no request in progress) are closed after this; see http/idle-sockets.ts.
    connectionTimeout: config.connectionTimeoutMs,
    // Node re-arms an idle keep-alive socket with this instead; it must not outlast the above.
    keepAliveTimeout: config.connectionTimeoutMs,
    // The whole request, headers and body, must arrive within this (Fastify's default is none).
    requestTimeout: config.requestTimeoutMs,
    // At close, idle keep-alive sockets go at once and busy ones when answered (preClose bounds that).
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    requestIdHeader: false,
    // Hermes' ids and names are up to 256 characters; a longer one is still this route's to refuse.
    routerOptions: { maxParamLength: 512 },
    schemaController: { compilersFactory: lazyCompilers as never },
  }
}

/** A ready Fastify instance serving the dashboard; the caller listens. */
export async function createDashboard (options: DashboardOptions = {}, create: CreateOptions = {}): Promise<FastifyInstance> {
  const { policy, ...rest } = options
  const env = create.env ?? process.env
  const sources: ConfigSources = { options: rest, env, ...(create.argv === undefined ? {} : { argv: create.argv }) }
  const config = create.config ?? loadConfig(sources)
  const app = Fastify(fastifyOptions(config))
  closeIdleSockets(app.server)
  // Requests in progress are answered at close (a page's poll must not see its connection reset),
  // but a stream that would never end (a forwarded log tail) does not hold the shutdown up.
  app.addHook('preClose', (done) => {
    drainOnClose(app.server, SHUTDOWN_DRAIN_MS)
    done()
  })
  let parts: DashboardParts | undefined
  await app.register(dashboardPlugin, {
    config,
    env,
    expose: (p) => { parts = p },
    ...(policy === undefined ? {} : { policy }),
    ...(create.backendTiming === undefined ? {} : { backendTiming: create.backendTiming }),
    ...(create.readWorker === undefined ? {} : { readWorker: create.readWorker }),
  })
  app.decorate('hermes', parts as DashboardParts)
  await app.ready()
  return app
}
