// src/routes/auth.ts
// The sign-in surface the newer Hermes front end asks for, answered here and never forwarded: the
// dashboard decides who is signed in. GET /api/auth/me says 401 for a token session (the sidebar
// then hides its sign-in widget, as on Hermes' own loopback server) and, for a user signed in at the
// SSO proxy (--auth-header), who they are; POST /api/auth/ws-ticket hands out single-use WebSocket
// tickets; POST /auth/logout and GET /login send the browser to the proxy's logout (--logout-url).

import type {} from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { TICKET_TTL_SECONDS, type Tickets } from '../trust/tickets.js'

interface Opts {
  readonly tickets: Tickets
  readonly logoutUrl: string | null
  /** The session cookie's name (cleared on logout). */
  readonly cookieName: string
}

/** The external base path: where the page lives as the browser sees it. */
function basePathOf (request: FastifyRequest): string {
  return request.trust.view.basePath
}

export async function authRoutes (fastify: FastifyInstance, opts: Opts): Promise<void> {
  fastify.get('/api/auth/me', async (request, reply) => {
    const identity = request.trust.view.identity
    reply.header('cache-control', 'no-store')
    // The shape Hermes' front end knows (AuthMeResponse), plus where signing out goes.
    if (identity === null) return reply.code(401).send({ detail: 'Unauthorized' })
    return {
      user_id: identity.user,
      email: identity.user.includes('@') ? identity.user : '',
      display_name: identity.user,
      org_id: identity.groups.join(','),
      provider: 'sso',
      expires_at: 0,
      groups: identity.groups,
      profile: request.trust.profile,
      logout_url: opts.logoutUrl ?? `${basePathOf(request)}/auth/logout`,
    }
  })

  fastify.post('/api/auth/ws-ticket', async (request, reply) => {
    reply.header('cache-control', 'no-store')
    return { ticket: opts.tickets.issue(request.trust.view.identity?.user ?? null), ttl_seconds: TICKET_TTL_SECONDS }
  })

  const signOut = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const base = basePathOf(request)
    // The dashboard's own cookie goes; the SSO session is the proxy's, ended at its logout URL.
    return reply.code(302)
      .clearCookie(opts.cookieName, { path: base === '' ? '/' : base, httpOnly: true, sameSite: 'strict' })
      .header('cache-control', 'no-store')
      .header('location', opts.logoutUrl ?? `${base}/`)
      .send()
  }
  fastify.post('/auth/logout', signOut)
  fastify.get('/login', { config: { access: 'page' } }, signOut)
}
