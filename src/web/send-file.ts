// src/web/send-file.ts
// Sends one file of the front end: type by extension, ETag from size and mtime, 304 on a match.
// The caller has already resolved the path inside the web root (routes/page.ts, staticPath).

import type { FastifyReply, FastifyRequest } from 'fastify'
import { createReadStream, type Stats } from 'node:fs'
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

export function sendFile (request: FastifyRequest, reply: FastifyReply, full: string, stat: Stats): FastifyReply {
  const etag = etagOf(stat)
  // Revalidated every time: the built-in page's files are not content-hashed, and CSS may be rewritten.
  reply.header('cache-control', 'no-cache').header('etag', etag).header('x-content-type-options', 'nosniff')
  if (request.headers['if-none-match'] === etag) return reply.code(304).send()
  reply.type(contentType(full)).header('content-length', stat.size)
  if (request.method === 'HEAD') return reply.send()
  return reply.send(createReadStream(full))
}
