// src/trust/credentials.ts
// Where a session token may travel, and the constant-time comparison. Pure.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export const SESSION_HEADER = 'x-hermes-session-token'
/** Request headers that carry credentials: never written to a log. */
export const LOG_REDACT = Object.freeze(['req.headers.authorization', 'req.headers.cookie', `req.headers["${SESSION_HEADER}"]`])
/** Longest credential we compare; anything longer is refused unread. */
export const MAX_CREDENTIAL_LENGTH = 512

export function generateToken (): string {
  return randomBytes(32).toString('base64url')
}

/** A secret compared in constant time (for equal lengths; the length of a token is not a secret). */
export interface Secret {
  matches (offered: string): boolean
}

export function createSecret (value: string): Secret {
  const expected = Buffer.from(value, 'utf8')
  return {
    matches (offered: string): boolean {
      if (offered.length > MAX_CREDENTIAL_LENGTH) return false
      const buf = Buffer.from(offered, 'utf8')
      return buf.length === expected.length && timingSafeEqual(buf, expected)
    },
  }
}

/** `Authorization: Bearer <t>` → t. Any other scheme (Basic belongs to the proxy) → null. */
export function bearerToken (authorization: string | undefined): string | null {
  if (authorization === undefined) return null
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization)
  return match === null ? null : match[1] as string
}

/** Finds one cookie's value without parsing the rest of the header. */
export function readCookie (header: string | undefined, name: string): string | null {
  if (header === undefined || header.length === 0) return null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() === name) {
      let value = part.slice(eq + 1).trim()
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
      try {
        return decodeURIComponent(value)
      } catch {
        return value
      }
    }
  }
  return null
}

export function cookieNameFor (token: string): string {
  return `hermes_dashboard_${createHash('sha256').update(token).digest('hex').slice(0, 8)}`
}

