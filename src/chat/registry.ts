// src/chat/registry.ts
// Kept-alive chats (/api/pty?attach=...): at most `maxSessions`, keyed as Hermes keys them, each
// outliving its socket until it exits or has been detached for `idleMs`. Knows nothing of HTTP.

import { DashboardError } from '../errors.js'
import type { ChatSession } from './session.js'

export interface ChatRegistryOptions {
  readonly maxSessions: number
  /** A detached session is ended after this long without a viewer. */
  readonly idleMs: number
  /** How often to look for idle sessions. */
  readonly sweepMs: number
  readonly onEnd?: (key: string, why: 'idle' | 'evicted' | 'exited') => void
}

export interface ChatRegistry {
  /** The live session under `key`, or a new one from `spawn` (which may throw). */
  attachOrSpawn (key: string, spawn: () => ChatSession): ChatSession
  get (key: string): ChatSession | undefined
  readonly size: number
  /** Ends detached sessions idle for too long; returns how many. */
  reap (now?: number): number
  /** Ends every session and stops the sweeper (server shutdown). */
  closeAll (): Promise<void>
}

/**
 * The registry key: the attach token alone, or with the profile and resume target when either is
 * given, so that switching sessions starts a new PTY while a plain reload re-attaches (Hermes #61919).
 */
export function registryKey (attach: string, profile: string | null, resume: string | null): string {
  return profile === null && resume === null ? attach : `${attach}\0${profile ?? ''}\0${resume ?? ''}`
}

export function createChatRegistry (options: ChatRegistryOptions): ChatRegistry {
  const sessions = new Map<string, ChatSession>()
  const ending = new Set<Promise<void>>()

  const end = (key: string, session: ChatSession, why: 'idle' | 'evicted' | 'exited'): void => {
    if (sessions.get(key) === session) sessions.delete(key)
    options.onEnd?.(key, why)
    const done = session.end().finally(() => ending.delete(done))
    ending.add(done)
  }

  const reap = (now = Date.now()): number => {
    let n = 0
    for (const [key, session] of sessions) {
      if (!session.alive) {
        sessions.delete(key)
        continue
      }
      const since = session.detachedAt
      if (since !== null && now - since >= options.idleMs) {
        end(key, session, 'idle')
        n++
      }
    }
    return n
  }

  const sweeper = setInterval(reap, options.sweepMs)
  sweeper.unref()

  return {
    attachOrSpawn (key, spawn) {
      reap()
      const existing = sessions.get(key)
      if (existing !== undefined) {
        if (existing.alive) return existing
        sessions.delete(key)
      }
      if (sessions.size >= options.maxSessions) {
        // Make room by ending the session detached the longest; attached ones are never taken.
        let oldest: [string, ChatSession] | null = null
        for (const entry of sessions) {
          const at = entry[1].detachedAt
          if (at !== null && (oldest === null || at < (oldest[1].detachedAt as number))) oldest = entry
        }
        if (oldest === null) {
          throw new DashboardError('HD_ERR_CHAT_REGISTRY_FULL', `all ${options.maxSessions} kept-alive chats are open in a browser tab`,
            'Close a chat tab (or end a chat) and try again.')
        }
        end(oldest[0], oldest[1], 'evicted')
      }
      const session = spawn()
      sessions.set(key, session)
      void session.exited.then(() => {
        if (sessions.get(key) === session) {
          sessions.delete(key)
          options.onEnd?.(key, 'exited')
        }
      })
      return session
    },
    get: (key) => sessions.get(key),
    get size () { return sessions.size },
    reap,
    async closeAll () {
      clearInterval(sweeper)
      for (const [key, session] of [...sessions]) end(key, session, 'evicted')
      await Promise.all([...ending])
    },
  }
}
