// src/trust/tickets.ts
// WebSocket tickets, as the newer Hermes front end asks for them: POST /api/auth/ws-ticket gives an
// authenticated page a short-lived, single-use credential it puts in `?ticket=` when it opens a
// socket, so no long-lived token travels in a URL (where a proxy's access log would keep it). A
// ticket belongs to the identity it was issued to; only hashes are kept.

import { createHash, randomBytes } from 'node:crypto'
import { MAX_CREDENTIAL_LENGTH } from './credentials.js'

export const TICKET_TTL_SECONDS = 30
/** Tickets outstanding at most; the oldest is dropped beyond (a page asks for one per socket). */
const MAX_TICKETS = 4096

export interface Tickets {
  /** A new ticket for `user` (null: a token session without identity). */
  issue (user: string | null): string
  /** The ticket is outstanding, unexpired and was issued to `user`. Does not use it up. */
  valid (ticket: string, user: string | null): boolean
  /** Uses the ticket up; false when it was not valid (or already used). */
  consume (ticket: string, user: string | null): boolean
  readonly size: number
}

interface Entry { readonly user: string | null, readonly expires: number }

const digest = (t: string): string => createHash('sha256').update(t).digest('base64url')

export function createTickets (now: () => number = Date.now): Tickets {
  const outstanding = new Map<string, Entry>()
  const lookup = (ticket: string, user: string | null): string | null => {
    if (ticket.length === 0 || ticket.length > MAX_CREDENTIAL_LENGTH) return null
    const key = digest(ticket)
    const entry = outstanding.get(key)
    if (entry === undefined) return null
    if (entry.expires <= now()) {
      outstanding.delete(key)
      return null
    }
    return entry.user === user ? key : null
  }
  return {
    issue (user) {
      for (const [key, entry] of outstanding) {
        if (entry.expires > now() && outstanding.size < MAX_TICKETS) break
        outstanding.delete(key)
      }
      const ticket = randomBytes(32).toString('base64url')
      outstanding.set(digest(ticket), { user, expires: now() + TICKET_TTL_SECONDS * 1000 })
      return ticket
    },
    valid: (ticket, user) => lookup(ticket, user) !== null,
    consume (ticket, user) {
      const key = lookup(ticket, user)
      if (key === null) return false
      outstanding.delete(key)
      return true
    },
    get size () { return outstanding.size },
  }
}
