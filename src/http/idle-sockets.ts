// src/http/idle-sockets.ts
// Sockets that never finish a request are closed. Node times out a request whose headers or body
// trickle in (headersTimeout, requestTimeout), but a connection that sends nothing at all, or sits
// idle between requests, is never looked at: a thousand of them stay open for good. With the
// server's socket timeout set (Fastify's connectionTimeout), Node asks here before destroying a
// socket gone quiet: one with no request in progress is closed, one whose response is still being
// produced (a slow backend) is left alone. An upgraded WebSocket is not an HTTP socket any more
// (ws clears its timeout at the upgrade), so it is never timed out here.

import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/** Node keeps the response a socket is serving on it; there is no public way to ask for it. */
function servingResponse (socket: Socket): boolean {
  return (socket as Socket & { _httpMessage?: unknown })._httpMessage != null
}

export function closeIdleSockets (server: Pick<Server, 'on'>): void {
  server.on('timeout', (socket: Socket) => {
    if (!servingResponse(socket)) socket.destroy()
  })
}
