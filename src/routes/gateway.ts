// src/routes/gateway.ts
// WebSocket /api/ws: a JSON-RPC gateway process per socket (bridge.ts). Trust was decided by the
// hook; a gateway that cannot start closes the socket 1011 with the reason.

import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { childEnv } from '../processes/env.js'
import { closeReason, DashboardError } from '../errors.js'
import { bridgeGateway, type GatewayBridge } from '../gateway/bridge.js'
import type { HermesHome } from '../hermes/home.js'
import { websocketRoute } from './websocket-route.js'

export interface GatewayRoutesOptions {
  readonly command: readonly string[]
  readonly home: HermesHome
  readonly env: Readonly<Record<string, string | undefined>>
  readonly maxLine: number
  /** Gateway processes at once (--max-gateways); one more is refused with 1013 gateway_limit. */
  readonly maxGateways: number
}

export const GATEWAY_WATER = { high: 1024 * 1024, low: 256 * 1024 }

export async function gatewayRoutes (fastify: FastifyInstance, opts: GatewayRoutesOptions): Promise<void> {
  const bridges = new Set<GatewayBridge>()
  let closing = false
  fastify.addHook('onClose', async () => {
    closing = true
    await Promise.all([...bridges].map((b) => b.end()))
  })

  websocketRoute(fastify, '/api/ws', (socket: WebSocket, request) => {
    let bridge: GatewayBridge
    try {
      if (closing) throw new DashboardError('HD_ERR_GATEWAY_UNAVAILABLE', 'the dashboard is shutting down')
      if (bridges.size >= opts.maxGateways) {
        throw new DashboardError('HD_ERR_GATEWAY_LIMIT', `${bridges.size} gateways are running, as many as --max-gateways allows`,
          'Close a tab that uses /api/ws and try again; raise --max-gateways if this host can run more.')
      }
      const profile = opts.home.profile(request.trust.profile)
      bridge = bridgeGateway(socket, {
        command: opts.command,
        env: childEnv(opts.env, { HERMES_HOME: profile.dir }),
        maxLine: opts.maxLine,
        highWater: GATEWAY_WATER.high,
        lowWater: GATEWAY_WATER.low,
        log: (fields, message) => request.log.info(fields, message),
      })
    } catch (err) {
      const error = err instanceof DashboardError ? err : new DashboardError('HD_ERR_GATEWAY_UNAVAILABLE', (err as Error).message)
      request.log.info({ event: 'gateway.unavailable', reason: error.reason, detail: error.message }, 'gateway could not start')
      socket.close(error.close, closeReason(`${error.reason}: ${error.message}`))
      return
    }
    bridges.add(bridge)
    void bridge.done.then(() => bridges.delete(bridge))
    socket.on('close', () => { void bridge.end() })
  }, { profiled: true })
}
