// src/routes/events.ts
// WebSockets /api/pub (publishers: the chat's gateway) and /api/events (subscribers: the browser's
// sidebar). Trust was decided by the hook before either handler runs.

import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import { closeReason, ERRORS, type ErrorCode } from '../errors.js'
import { isChannel, type EventHub } from '../events/hub.js'
import { toBuffer } from '../ws-data.js'
import { websocketRoute } from './websocket-route.js'

/** Largest event a publisher may send; a larger one closes the publisher with 1009. */
export const MAX_EVENT_BYTES = 1024 * 1024

function closeWith (socket: WebSocket, code: ErrorCode): void {
  socket.close(ERRORS[code].close, closeReason(ERRORS[code].reason))
}

function channelOf (request: FastifyRequest): string | null {
  const channel = (request.query as Record<string, unknown>).channel
  return isChannel(channel) ? channel : null
}

export async function eventRoutes (fastify: FastifyInstance, opts: { hub: EventHub }): Promise<void> {
  const { hub } = opts

  websocketRoute(fastify, '/api/events', (socket, request) => {
    const channel = channelOf(request)
    if (channel === null) return closeWith(socket, 'HD_ERR_CHANNEL_INVALID')
    const unsubscribe = hub.subscribe(channel, socket)
    socket.on('close', unsubscribe)
    // Subscribers have nothing to say; whatever they send is read and dropped.
    socket.on('message', () => {})
  })

  websocketRoute(fastify, '/api/pub', (socket, request) => {
    const channel = channelOf(request)
    if (channel === null) return closeWith(socket, 'HD_ERR_CHANNEL_INVALID')
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return closeWith(socket, 'HD_ERR_FRAME_UNSUPPORTED')
      const buf = toBuffer(data)
      if (buf.length > MAX_EVENT_BYTES) return closeWith(socket, 'HD_ERR_FRAME_TOO_LARGE')
      hub.publish(channel, buf)
    })
  }, { capability: true })
}
