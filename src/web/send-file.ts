// src/web/send-file.ts
// Sends one file of the front end: type by extension, ETag from size and mtime, 304 on a match, and
// a gzip file built beside it (`app.js.gz`, made by the build) to a client that accepts gzip.
// The caller has already resolved the path inside the web root (routes/page.ts, staticPath).

import type { FastifyReply, FastifyRequest } from 'fastify'
import { createReadStream, promises as fs, type Stats } from 'node:fs'
import { extname } from 'node:path'

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
}

export function contentType (path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

export function etagOf (stat: Stats): string {
  return `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`
}

/** `Accept-Encoding` names gzip without `q=0`. */
export function acceptsGzip (header: string | undefined): boolean {
  if (header === undefined) return false
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';')
    return coding?.trim() === 'gzip' && !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))
  })
}

/** The precompressed sibling, when there is one at least as new as the file itself. */
async function gzipped (full: string, stat: Stats): Promise<Stats | null> {
  try {
    const gz = await fs.stat(`${full}.gz`)
    return gz.isFile() && gz.mtimeMs >= stat.mtimeMs ? gz : null
  } catch {
    return null
  }
}

export async function sendFile (request: FastifyRequest, reply: FastifyReply, full: string, stat: Stats): Promise<FastifyReply> {
  const gz = acceptsGzip(request.headers['accept-encoding']) ? await gzipped(full, stat) : null
  const sent = gz ?? stat
  // A different ETag per encoding: a cache must not answer a gzip request with the plain body's 304.
  const etag = gz === null ? etagOf(stat) : `${etagOf(stat).slice(0, -1)}-gz"`
  // Revalidated every time: the built-in page's files are not content-hashed, and CSS may be rewritten.
  const vary = reply.getHeader('vary')
  reply.header('cache-control', 'no-cache').header('etag', etag).header('x-content-type-options', 'nosniff')
    .header('vary', vary === undefined ? 'Accept-Encoding' : `${String(vary)}, Accept-Encoding`)
  if (request.headers['if-none-match'] === etag) return reply.code(304).send()
  reply.type(contentType(full)).header('content-length', sent.size)
  if (gz !== null) reply.header('content-encoding', 'gzip')
  if (request.method === 'HEAD') return reply.send()
  return reply.send(createReadStream(gz === null ? full : `${full}.gz`))
}
