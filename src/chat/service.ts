// src/chat/service.ts
// Starting chats: reads the /api/pty query into a launch (profile, resume target, environment),
// spawns the chat command in a PTY with node-pty, and owns every PTY the server runs: the
// kept-alive registry and the one-per-socket (legacy) sessions. close() ends them all.

import type { IPty } from 'node-pty'
import { childEnv } from '../processes/env.js'
import { DashboardError } from '../errors.js'
import type { HermesHome } from '../hermes/home.js'
import type { StateDb } from '../hermes/state-db.js'
import { latestDescendant } from '../hermes/sessions.js'
import type { EventHub } from '../events/hub.js'
import type { Capabilities } from '../trust/capabilities.js'
import { findProgram } from '../processes/group.js'
import { createActiveSessions } from './active-session.js'
import { chatEnv, readChatQuery, sidecarUrl, type ChatEnvInput, type ListenAddress } from './launch.js'
import { createChatRegistry, registryKey, type ChatRegistry } from './registry.js'
import { createChatSession, type ChatSession, type PtyLike } from './session.js'

export const CHAT_LIMITS = Object.freeze({
  maxSessions: 16,
  ringBytes: 1024 * 1024,
  idleMs: 30 * 60 * 1000,
  sweepMs: 60 * 1000,
  /** Pause the PTY when a socket has this much queued; resume at lowWater. */
  highWater: 1024 * 1024,
  lowWater: 256 * 1024,
  /** Stop reading a socket while its chat has this much typed input unread; read on at inputLowWater. */
  inputHighWater: 1024 * 1024,
  inputLowWater: 256 * 1024,
  /** Per-tab chats (no attach key) at once; --max-chats. */
  maxLegacy: 32,
  cols: 80,
  rows: 24,
})

export type ChatLimits = { readonly [K in keyof typeof CHAT_LIMITS]: number }

export interface ChatServiceOptions {
  readonly command: readonly string[]
  readonly home: HermesHome
  readonly stateDb: StateDb
  readonly env: Readonly<Record<string, string | undefined>>
  /** Where each chat's publisher gets its own credential for /api/pub, revoked when the chat ends. */
  readonly capabilities: Pick<Capabilities, 'grant'>
  readonly mountPrefix: string
  /** Where this server listens (null before listen: then no sidecar URL is given). */
  readonly listening: () => ListenAddress | null
  readonly limits?: Partial<ChatLimits>
  readonly onEnd?: (key: string, why: string) => void
  /** The events hub: a re-attached chat's events follow the reloaded page to its new channel. */
  readonly events?: Pick<EventHub, 'follow' | 'forget'>
}

export interface OpenedChat {
  readonly session: ChatSession
  /** Registry key of a kept-alive chat; null for a legacy one. */
  readonly key: string | null
}

export interface ChatService {
  /** Starts (or, with `attach`, finds) the chat for this query and profile. Throws DashboardError. */
  open (query: Record<string, unknown>, profile: string): Promise<OpenedChat>
  /** The socket showing `chat` went away. */
  release (chat: OpenedChat, viewer: Parameters<ChatSession['detach']>[0]): void
  readonly registry: ChatRegistry
  /** PTYs alive now, kept-alive and legacy. */
  count (): number
  close (): Promise<void>
}

type Spawn = typeof import('node-pty').spawn

/**
 * Input node-pty has accepted for a terminal but not yet written to it. node-pty 1.x queues writes
 * the terminal cannot take yet in its write stream and offers no measure of them, so the queue is
 * read where it lives (test/unit/pty-input.test.ts pins this to the installed node-pty).
 */
export function pendingPtyInput (pty: IPty): number {
  const queue = (pty as unknown as { _writeStream?: { _writeQueue?: unknown } })._writeStream?._writeQueue
  if (!Array.isArray(queue)) return 0
  let bytes = 0
  for (const task of queue as Array<{ buffer?: Buffer, offset?: number }>) bytes += (task.buffer?.length ?? 0) - (task.offset ?? 0)
  return bytes
}

/** The part of node-pty a session uses; spawned with encoding null, output comes as Buffers (its typings say string). */
function ptyLike (pty: IPty): PtyLike {
  return {
    get pid () { return pty.pid },
    write: (data) => pty.write(data),
    resize: (cols, rows) => pty.resize(cols, rows),
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    onData: (listener) => pty.onData(listener as unknown as (data: string) => void),
    onExit: (listener) => pty.onExit(listener),
    pendingInput: () => pendingPtyInput(pty),
  }
}
let nodePty: Promise<Spawn> | undefined

export function createChatService (opts: ChatServiceOptions): ChatService {
  const limits = { ...CHAT_LIMITS, ...opts.limits }
  const registry = createChatRegistry({ maxSessions: limits.maxSessions, idleMs: limits.idleMs, sweepMs: limits.sweepMs, ...(opts.onEnd === undefined ? {} : { onEnd: opts.onEnd }) })
  const legacy = new Set<ChatSession>()
  const active = createActiveSessions()
  const base = childEnv(opts.env, {})
  // The channel each chat publishes its events on (fixed when it starts: it is in its environment).
  const publishesOn = new WeakMap<ChatSession, string>()
  let closing = false

  const spawnSession = (spawn: Spawn, launch: Omit<ChatEnvInput, 'sidecarUrl'>, kept: boolean, channel: string | null): ChatSession => {
    const [file, ...args] = opts.command as [string, ...string[]]
    const listen = opts.listening()
    // The chat's publisher gets a credential of its own, for its own channel, for its own life.
    const grant = channel !== null && listen !== null ? opts.capabilities.grant(channel) : null
    const env = chatEnv(base, { ...launch, sidecarUrl: grant === null ? null : sidecarUrl(listen as ListenAddress, opts.mountPrefix, grant.credential, channel as string) })
    let pty: IPty
    try {
      pty = spawn(file, args, { name: env.TERM as string, cols: limits.cols, rows: limits.rows, cwd: process.cwd(), env, encoding: null })
    } catch (err) {
      grant?.revoke()
      throw new DashboardError('HD_ERR_CHAT_UNAVAILABLE', `Chat failed to start: ${(err as Error).message}`)
    }
    const session = createChatSession(ptyLike(pty), {
      ringBytes: kept ? limits.ringBytes : null,
      highWater: limits.highWater,
      lowWater: limits.lowWater,
      inputHighWater: limits.inputHighWater,
      inputLowWater: limits.inputLowWater,
    })
    if (grant !== null) {
      publishesOn.set(session, channel as string)
      void session.exited.then(() => {
        grant.revoke()
        opts.events?.forget(channel as string)
      })
    }
    return session
  }

  return {
    registry,
    async open (rawQuery, profileName) {
      // profileName: the profile the trust policy decided for this request ('default' for the home).
      if (closing) throw new DashboardError('HD_ERR_CHAT_UNAVAILABLE', 'the dashboard is shutting down')
      const query = readChatQuery(rawQuery)
      const profile = opts.home.profile(profileName)
      if (findProgram(opts.command[0] as string, base.PATH) === null) {
        throw new DashboardError('HD_ERR_CHAT_UNAVAILABLE', `the chat command "${opts.command[0] ?? ''}" was not found on PATH`,
          'Install Hermes, or point --chat-command at it.')
      }
      if (query.fresh && query.channel !== null) active.forget(query.channel)
      // An explicit resume is part of the key; one found in the channel's breadcrumb is not, so a
      // reload of the same chat re-attaches to the running PTY.
      const implicit = query.resume === null && !query.fresh && query.channel !== null ? active.read(query.channel) : null
      const wanted = query.resume ?? implicit
      const resume = wanted === null ? null : await latestDescendant(opts.stateDb, profile, wanted)
      const launch = { home: profile.dir, resume, activeSessionFile: query.channel === null ? null : active.pathFor(query.channel) }
      nodePty ??= import('node-pty').then((m) => m.spawn)
      const spawn = await nodePty
      if (closing) throw new DashboardError('HD_ERR_CHAT_UNAVAILABLE', 'the dashboard is shutting down')

      if (query.attach === null) {
        if (legacy.size >= limits.maxLegacy) {
          throw new DashboardError('HD_ERR_CHAT_LIMIT', `${legacy.size} per-tab chats are running, as many as --max-chats allows`,
            'Close a chat tab (or use a kept-alive chat) and try again; raise --max-chats if this host can run more.')
        }
        const session = spawnSession(spawn, launch, false, query.channel)
        legacy.add(session)
        void session.exited.then(() => legacy.delete(session))
        return { session, key: null }
      }
      const explicitResume = query.resume === null ? null : resume
      const key = registryKey(query.attach, profile.isDefault ? null : profile.name, explicitResume)
      const session = registry.attachOrSpawn(key, () => spawnSession(spawn, launch, true, query.channel))
      const from = publishesOn.get(session)
      if (from !== undefined && query.channel !== null) opts.events?.follow(from, query.channel)
      return { session, key }
    },
    release (chat, viewer) {
      if (chat.key === null) {
        void chat.session.end()
        return
      }
      chat.session.detach(viewer)
    },
    count: () => legacy.size + registry.size,
    async close () {
      closing = true
      await Promise.all([registry.closeAll(), ...[...legacy].map((s) => s.end())])
      active.dispose()
    },
  }
}
