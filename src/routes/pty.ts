// src/routes/pty.ts
// WebSocket /api/pty: the Chat tab's terminal. Trust was decided by the hook before this runs.
// Frames are queued while the chat starts (the browser sends a RESIZE at once); a failure after the
// socket was accepted is printed into the terminal as one red line, then the socket closes 1011.

import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { failureBanner } from '../chat/frames.js'
import type { ChatService, OpenedChat } from '../chat/service.js'
import { closeReason, DashboardError, ERRORS } from '../errors.js'
import { toBuffer } from '../ws-data.js'
import { websocketRoute } from './websocket-route.js'

/** Frames and bytes kept while the chat starts; beyond either the socket is paused until it runs. */
export const MAX_EARLY_FRAMES = 256
export const MAX_EARLY_BYTES = 1024 * 1024

export async function ptyRoutes (fastify: FastifyInstance, opts: { chat: ChatService }): Promise<void> {
  const { chat } = opts

  websocketRoute(fastify, '/api/pty', (socket: WebSocket, request) => {
    let opened: OpenedChat | null = null
    let gone = false
    const early: Buffer[] = []
    let earlyBytes = 0

    socket.on('message', (data) => {
      const frame = toBuffer(data)
      if (opened !== null) {
        opened.session.input(socket, frame)
        return
      }
      early.push(frame)
      earlyBytes += frame.length
      // Nothing is dropped: the rest waits in TCP and the browser until the chat reads it.
      if (early.length >= MAX_EARLY_FRAMES || earlyBytes >= MAX_EARLY_BYTES) socket.pause()
    })
    socket.on('close', () => {
      gone = true
      if (opened !== null) chat.release(opened, socket)
    })

    chat.open(request.query as Record<string, unknown>, request.trust.profile ?? 'default').then((result) => {
      opened = result
      if (gone) return chat.release(result, socket)
      result.session.attach(socket)
      for (const frame of early.splice(0)) result.session.input(socket, frame)
      earlyBytes = 0
      // Unless the chat itself holds the input back, read on.
      if (socket.isPaused && !result.session.inputThrottled) socket.resume()
    }, (err: unknown) => {
      const error = err instanceof DashboardError ? err : new DashboardError('HD_ERR_INTERNAL')
      if (!(err instanceof DashboardError)) request.log.error({ err }, 'chat failed to start')
      else request.log.info({ event: 'chat.unavailable', reason: error.reason, detail: error.message }, 'chat could not start')
      if (gone) return
      const lead = error.message.startsWith('Chat ') ? '' : 'Chat unavailable: '
      socket.send(failureBanner(lead + error.message))
      // 1013 (try again later) for a full house; any other failure to start is 1011 with its reason.
      socket.close(error.close === 1013 ? 1013 : ERRORS.HD_ERR_CHAT_UNAVAILABLE.close, closeReason(error.reason))
    })
  }, { profiled: true })
}
