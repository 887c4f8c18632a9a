// src/routes/forwarded.ts
// Every path the dashboard does not answer itself, under /api/ (REST and WebSocket) and
// /dashboard-plugins/, goes to Hermes' own server (backend/forward.ts). Native routes are declared
// with their own paths and always win over these wildcards. Trust was decided by the hook, the
// profile by the policy (a path /api/profiles/<name>/… names one), before any of this runs.

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { profileInPath } from '../backend/hygiene.js'
import type { Forwarder } from '../backend/forward.js'

interface Opts {
  readonly forwarder: Forwarder
  /** A JSON body is read whole (to check the profile it names) up to this; any other body streams. */
  readonly inspectLimit: number
}

const METHODS = ['DELETE', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const

function pathProfile (request: FastifyRequest): string | null {
  const q = request.url.indexOf('?')
  return profileInPath(q === -1 ? request.url : request.url.slice(0, q))
}

function isJson (contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)
}

export async function forwardedRoutes (fastify: FastifyInstance, opts: Opts): Promise<void> {
  const { forwarder } = opts
  // Bodies are the backend's business: streamed on as they come, except a JSON body from a caller
  // whom a profile binding limits, which is read (bounded) so the profile it names can be checked.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', (request, payload, done) => {
    if (!(request.trust?.restricted === true && isJson(request.headers['content-type']))) return done(null, payload)
    const chunks: Buffer[] = []
    let size = 0
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > opts.inspectLimit) {
        payload.removeAllListeners('data')
        payload.resume()
        done(Object.assign(new Error('body too large'), { statusCode: 413 }), undefined)
        return
      }
      chunks.push(chunk)
    })
    payload.on('end', () => { if (size <= opts.inspectLimit) done(null, Buffer.concat(chunks)) })
    payload.on('error', (err) => done(err, undefined))
  })

  const config = { access: 'protected' as const, profileOf: pathProfile }
  for (const url of ['/api/*', '/dashboard-plugins/*']) {
    fastify.route({ method: 'GET', url, config, handler: forwarder.http, wsHandler: forwarder.websocket })
    fastify.route({ method: [...METHODS], url, config, handler: forwarder.http })
  }
}
