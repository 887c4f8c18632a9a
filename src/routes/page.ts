// src/routes/page.ts
// The front end: files of the web root, index.html with the Hermes globals for every other path, and
// a JSON 404 (never the page) for unknown /api/ paths.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyStatic from '@fastify/static'
import { limitAcceptEncoding, PrecompressedCopies } from '../web/precompressed.js'
import { injectGlobals, rewriteCssUrls, rewriteIndexAssets } from '../web/rewrite.js'
import { fileStat, readText, staticPath, type StaticFile } from '../web/static-files.js'

interface Opts {
  /** Directory holding index.html and assets/. */
  readonly webRoot: string
}

const NO_STORE = 'no-store, no-cache, must-revalidate'

/** The wildcard part of the route, decoded once by the router. */
function wildcard (request: FastifyRequest): string {
  return (request.params as { '*'?: string })['*'] ?? ''
}

export async function pageRoutes (fastify: FastifyInstance, opts: Opts): Promise<void> {
  const root = opts.webRoot
  // @fastify/static sends the files: ETag and Last-Modified, 304s, Range, and a precompressed
  // sibling (app.js.br, app.js.gz, made by the build) to a browser that accepts it, but only a
  // sibling whose bytes are the file's (web/precompressed.ts). The routes below choose the file.
  const copies = new PrecompressedCopies()
  await fastify.register(fastifyStatic, {
    root,
    serve: false,
    preCompressed: true,
    dotfiles: 'deny',
    index: false,
    // Revalidated every time: the built-in page's files are not content-hashed, and CSS may be rewritten.
    cacheControl: false,
    setHeaders: (res) => {
      res.setHeader('cache-control', 'no-cache')
      res.setHeader('x-content-type-options', 'nosniff')
    },
  })

  async function sendAsset (request: FastifyRequest, reply: FastifyReply, file: StaticFile): Promise<unknown> {
    const prefix = request.trust.view.basePath
    if (file.rel.endsWith('.css')) {
      // CSS names fonts and images by absolute URL; under a base path those must gain the prefix.
      reply.header('vary', 'X-Forwarded-Prefix')
      if (prefix !== '') return reply.header('cache-control', 'no-cache').type('text/css; charset=utf-8').send(rewriteCssUrls(await readText(file.full), prefix))
    }
    // A cache keeps the plain and the compressed bodies apart.
    const vary = reply.getHeader('vary')
    reply.header('vary', vary === undefined ? 'Accept-Encoding' : `${String(vary)}, Accept-Encoding`)
    const accept = request.headers['accept-encoding']
    if (accept !== undefined) {
      const codings = await copies.codings(file.full)
      // The sender reads Accept-Encoding to choose a sibling: it is offered only the good ones.
      if (codings.size < 2) request.headers['accept-encoding'] = limitAcceptEncoding(accept, codings)
    }
    return reply.sendFile(file.rel)
  }

  async function sendIndex (request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    let html: string
    try {
      html = await readText(staticPath(root, 'index.html')?.full ?? '')
    } catch {
      return reply.code(404).send({ error: 'Frontend not built. Run: npm run build (or pass --web-dist to a built Hermes front end).' })
    }
    const basePath = request.trust.view.basePath
    html = injectGlobals(rewriteIndexAssets(html, basePath), { token: request.trust.pageToken, basePath, authRequired: request.trust.view.identity !== null })
    return reply.code(200)
      .header('cache-control', NO_STORE)
      .header('content-security-policy', "frame-ancestors 'self'")
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .send(html)
  }

  // Built assets are public: they are the same for everyone and hold no secret.
  fastify.get('/assets/*', { config: { access: 'public' } }, async (request, reply) => {
    const file = staticPath(root, `assets/${wildcard(request)}`)
    const stat = file === null ? null : await fileStat(file.full)
    if (file === null || stat === null) return reply.code(404).send({ error: 'not found' })
    return sendAsset(request, reply, file)
  })

  // Every other /api/ path is Hermes' own (routes/forwarded.ts): forwarded, or 503 backend_off.
  fastify.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/api',
    handler: async (_request, reply) => reply.code(404).send({ error: 'not_found', detail: 'No such API endpoint: /api' }),
  })

  fastify.get('/*', { config: { access: 'page', queryToken: true } }, async (request, reply) => {
    const file = staticPath(root, wildcard(request))
    const stat = file === null || file.rel === 'index.html' ? null : await fileStat(file.full)
    if (file !== null && stat !== null) return sendAsset(request, reply, file)
    return sendIndex(request, reply)
  })
}
