// src/ws-keepalive.ts
// Pings every WebSocket client periodically. Proxies close idle upgrades (nginx after 60 s by default),
// and /api/events can be idle for long; a ping keeps it open and finds half-open connections.

import type { FastifyInstance } from 'fastify'
import type { WebSocket, WebSocketServer } from 'ws'

export const PING_INTERVAL_MS = 25_000

const alive = new WeakMap<WebSocket, boolean>()

export function keepAlive (fastify: FastifyInstance, intervalMs = PING_INTERVAL_MS): void {
  let timer: NodeJS.Timeout | undefined
  fastify.addHook('onReady', async () => {
    const wss = (fastify as unknown as { websocketServer: WebSocketServer }).websocketServer
    wss.on('connection', (socket: WebSocket) => {
      alive.set(socket, true)
      socket.on('pong', () => alive.set(socket, true))
    })
    timer = setInterval(() => {
      for (const socket of wss.clients) {
        if (alive.get(socket) === false) {
          socket.terminate()
          continue
        }
        alive.set(socket, false)
        socket.ping()
      }
    }, intervalMs)
    timer.unref()
  })
  fastify.addHook('onClose', async () => {
    if (timer !== undefined) clearInterval(timer)
  })
}
