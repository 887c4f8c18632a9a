// test/helpers/sso.ts
// A stand-in for an SSO server's forward-auth endpoint, for nginx's auth_request.

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Teardown { teardown (fn: () => unknown): void }

/**
 * Plays the SSO server's part in forward auth (Authelia's /api/authz/auth-request): a known session
 * cookie gets 200 with the user and groups as headers, anything else 401. Records what it was asked.
 */
export async function startVerifyServer (t: Teardown, sessions: Record<string, { user: string, groups: string }>): Promise<{ port: number, asked: string[] }> {
  const asked: string[] = []
  const server = createServer((req, res) => {
    asked.push(String(req.headers['x-original-url'] ?? ''))
    const cookie = /(?:^|;\s*)sso_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
    const who = cookie === undefined ? undefined : sessions[cookie]
    if (who === undefined) { res.writeHead(401).end(); return }
    res.writeHead(200, { 'Remote-User': who.user, 'Remote-Groups': who.groups }).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { port: (server.address() as AddressInfo).port, asked }
}

