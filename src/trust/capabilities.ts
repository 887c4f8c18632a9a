// src/trust/capabilities.ts
// Per-chat credentials for the programs this server starts: each chat's event publisher gets one,
// valid only for that chat's own event channel, and revoked when the chat ends. A credential is a
// capability (this channel, this chat), never a key to the dashboard. Only hashes are kept, so a
// lookup's timing says nothing about a credential's bytes.

import { createHash, randomBytes } from 'node:crypto'
import { MAX_CREDENTIAL_LENGTH } from './credentials.js'

export interface Grant {
  readonly credential: string
  /** Idempotent; the credential is refused from then on. */
  revoke (): void
}

export interface Capabilities {
  /** A new credential for publishing on `channel`. */
  grant (channel: string): Grant
  /** The credential was granted for exactly this channel and not revoked. */
  matches (credential: string, channel: string | null): boolean
  readonly size: number
}

function digest (text: string): string {
  return createHash('sha256').update(text).digest('base64url')
}

export function createCapabilities (): Capabilities {
  const granted = new Map<string, string>()
  return {
    grant (channel) {
      const credential = randomBytes(32).toString('base64url')
      const key = digest(credential)
      granted.set(key, channel)
      return { credential, revoke: () => { granted.delete(key) } }
    },
    matches (credential, channel) {
      if (channel === null || credential.length > MAX_CREDENTIAL_LENGTH) return false
      return granted.get(digest(credential)) === channel
    },
    get size () { return granted.size },
  }
}
