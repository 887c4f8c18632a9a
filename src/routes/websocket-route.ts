// src/routes/websocket-route.ts
// How a WebSocket route is declared here: its handler for the upgrade, and, for a plain HTTP request
// to the same path, 426 upgrade_required with a hint. A plain request is what arrives through a
// proxy that drops the Upgrade header; the plugin's default answer, an empty 404, told nobody why
// Chat was dead. Trust is decided by the hook before either handler, as on every route.

import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { DashboardError } from '../errors.js'

export type WebsocketHandler = (socket: WebSocket, request: FastifyRequest) => void

const HINT = 'If a proxy is in front of the dashboard, make it pass WebSocket upgrades: in nginx, proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; (docs/proxy-snippets.md).'

export interface WebsocketRouteOptions {
  /** Acts in a Hermes profile (the chat, the gateway). */
  readonly profiled?: boolean
  /** Takes a chat's own publisher credential (/api/pub). */
  readonly capability?: boolean
}

export function websocketRoute (fastify: FastifyInstance, url: string, wsHandler: WebsocketHandler, options: WebsocketRouteOptions = {}): void {
  fastify.route({
    method: 'GET',
    url,
    config: { access: 'protected', profiled: options.profiled === true, capability: options.capability === true },
    handler: async (_request, reply) => {
      reply.header('upgrade', 'websocket')
      throw new DashboardError('HD_ERR_UPGRADE_REQUIRED', `${url} is a WebSocket endpoint, and this request came without "Upgrade: websocket"`, HINT)
    },
    wsHandler,
  })
}
