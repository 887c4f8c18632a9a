// bench/server.mjs
// One benchmark server, run as its own process so the load generator never shares its event loop.
//   node bench/server.mjs dashboard   the real dashboard (createDashboard: trust hook and all)
//   node bench/server.mjs bare        a bare Fastify with the same constructor options, the same
//                                     WebSocket plugin and the same route code (actionRoutes, the
//                                     /api/* 404): everything but the trust plugin
// Reads BENCH_HOME (a HERMES_HOME) and BENCH_TOKEN from the environment, listens on 127.0.0.1 on a
// free port and prints `READY port=<n>`. Exits cleanly on SIGTERM, SIGINT or when the parent goes away
// (so `node --cpu-prof bench/server.mjs ...` writes its profile).

import Fastify from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import { createDashboard, fastifyOptions, MAX_WS_PAYLOAD } from '../dist/app.js'
import { loadConfig } from '../dist/config/load.js'
import { createActionRunner } from '../dist/actions/runner.js'
import { actionRoutes } from '../dist/routes/actions.js'
import { openHermesHome } from '../dist/hermes/home.js'
import { backendOffError } from '../dist/backend/supervisor.js'

const kind = process.argv[2]
const home = process.env.BENCH_HOME
const token = process.env.BENCH_TOKEN
if ((kind !== 'dashboard' && kind !== 'bare') || !home || !token) {
  process.stderr.write('usage: BENCH_HOME=<dir> BENCH_TOKEN=<token> node bench/server.mjs dashboard|bare\n')
  process.exit(2)
}

// A clean environment for the dashboard: nothing from the caller's HERMES_DASHBOARD_* leaks in.
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HERMES_HOME: home }
const HERMES_COMMAND = 'true'

// BENCH_BACKEND: a Hermes server (the fixture) to forward to; else none (its routes answer 503 backend_off).
const backendUrl = process.env.BENCH_BACKEND
async function dashboard () {
  const backend = backendUrl ? { hermesBackend: backendUrl, backendToken: process.env.BENCH_BACKEND_TOKEN } : { hermesBackend: 'off' }
  return createDashboard({ hermesHome: home, token, hermesCommand: HERMES_COMMAND, noOpen: true, ...backend }, { env })
}

async function bare () {
  // The constructor options createDashboard uses (src/app.ts), so only the plugins differ.
  const app = Fastify(fastifyOptions(loadConfig({ options: { hermesHome: home, token, hermesCommand: HERMES_COMMAND }, env })))
  // @fastify/websocket adds hooks of its own to every request; they are not the trust hook's cost.
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_WS_PAYLOAD } })
  const hermesHome = openHermesHome(home)
  const runner = createActionRunner({ home: hermesHome, command: [HERMES_COMMAND], env })
  await app.register(actionRoutes, { runner, home: hermesHome, forwarder: null })
  // The dashboard's answer for an /api/ path it does not serve with no backend behind it, byte for byte.
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/api/*',
    handler: async (_request, reply) => {
      const e = backendOffError()
      return reply.code(e.status).header('x-hermes-dashboard-source', 'native').send(e.toJSON())
    },
  })
  await app.ready()
  return app
}

const app = kind === 'dashboard' ? await dashboard() : await bare()
await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`READY port=${app.server.address().port}\n`)

let closing = false
function shutdown () {
  if (closing) return
  closing = true
  setTimeout(() => process.exit(1), 3000).unref()
  app.close().then(() => process.exit(0), () => process.exit(1))
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
process.on('disconnect', shutdown)
