// src/http/shutdown-drain.ts
// What happens to HTTP connections when the dashboard closes. Node closes the sockets that are idle
// at that moment; a request in progress is answered, but its socket then stays kept-alive, and the
// browser's next request on it (a page's poll, the WebSocket probe) gets Fastify's generic 503 while
// the close waits for that socket. So each answer finished during the drain ends its connection:
// the client opens a new one, which is refused while no server listens (what a page expects from a
// restart), and the close ends with the last answer. Whatever is still running after the drain is
// cut. Node reports finished answers on a diagnostics channel, subscribed only while closing: the
// request path pays nothing for it.

import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

const RESPONSE_FINISH = 'http.server.response.finish'

/** Call when the close begins (a preClose hook): ends answered connections, cuts the rest after `drainMs`. */
export function drainOnClose (server: Server, drainMs: number): void {
  const endAnswered = (message: unknown): void => {
    const m = message as { server: unknown, socket: Socket }
    if (m.server === server) m.socket.end()
  }
  subscribe(RESPONSE_FINISH, endAnswered)
  const cut = setTimeout(() => server.closeAllConnections(), drainMs).unref()
  server.once('close', () => {
    clearTimeout(cut)
    unsubscribe(RESPONSE_FINISH, endAnswered)
  })
}
