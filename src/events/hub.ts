// src/events/hub.ts
// Channels of event subscribers: what a publisher sends on /api/pub goes, verbatim and in order, to
// every /api/events subscriber of the same channel. A subscriber that falls behind is dropped, never
// buffered without bound. Knows nothing of HTTP; a sink is anything with the WebSocket's few members.
// Two things beyond Hermes' own fan-out, both for the sidebar of a chat:
// - the last `session.info` of a channel is kept and given to a subscriber that arrives after it (the
//   chat publishes its title once, at start, often before the sidebar's socket is open);
// - a channel can follow another: a kept-alive chat publishes on the channel it was started with, and
//   after a page reload the sidebar listens on a new one.

import { ERRORS } from '../errors.js'

export const CHANNEL_RE = /^[A-Za-z0-9._-]{1,128}$/

export function isChannel (value: unknown): value is string {
  return typeof value === 'string' && CHANNEL_RE.test(value)
}

/** The part of a ws WebSocket the hub uses. */
export interface Sink {
  readonly bufferedAmount: number
  readonly readyState: number
  send (data: Buffer, options: { binary: false }): void
  close (code: number, reason: string): void
}

const OPEN = 1

export interface EventHub {
  /** Adds a subscriber; returns the function that removes it. */
  subscribe (channel: string, sink: Sink): () => void
  /** Sends one text frame to every subscriber; returns how many got it. */
  publish (channel: string, data: Buffer): number
  /** Events published on `from` also go to `to` (replacing where `from` went before). */
  follow (from: string, to: string): void
  /** Drops what the hub keeps for `channel`: where it is followed, and its last session.info. */
  forget (channel: string): void
  channelCount (): number
  subscriberCount (channel: string): number
}

export interface EventHubOptions {
  /** Bytes a subscriber may have queued before it is dropped. */
  readonly maxBufferedBytes: number
  /** Called when a slow subscriber is dropped. */
  readonly onDrop?: (channel: string) => void
}

const SLOW = ERRORS.HD_ERR_SUBSCRIBER_TOO_SLOW
/** Channels whose last session.info is kept; the oldest is forgotten first. */
export const MAX_REMEMBERED = 1024
const MAX_REMEMBERED_BYTES = 64 * 1024
const SESSION_INFO = Buffer.from('"session.info"')

/** A JSON-RPC event notification of type session.info (checked cheaply first: most events are not). */
export function isSessionInfo (data: Buffer): boolean {
  if (data.length > MAX_REMEMBERED_BYTES || !data.includes(SESSION_INFO)) return false
  try {
    const message = JSON.parse(data.toString('utf8')) as { method?: unknown, params?: { type?: unknown } | null }
    return message.method === 'event' && message.params?.type === 'session.info'
  } catch {
    return false
  }
}

export function createEventHub (options: EventHubOptions): EventHub {
  const channels = new Map<string, Set<Sink>>()
  const lastInfo = new Map<string, Buffer>()
  const follows = new Map<string, string>()

  const remember = (channel: string, data: Buffer): void => {
    lastInfo.delete(channel) // re-inserted last: the map's order is the forgetting order
    lastInfo.set(channel, data)
    if (lastInfo.size > MAX_REMEMBERED) lastInfo.delete(lastInfo.keys().next().value as string)
  }

  const deliver = (channel: string, data: Buffer): number => {
    const set = channels.get(channel)
    if (set === undefined) return 0
    let sent = 0
    for (const sink of set) {
      if (sink.readyState !== OPEN) continue
      if (sink.bufferedAmount + data.length > options.maxBufferedBytes) {
        // Out of the channel at once: a reader that has stopped may not finish the closing handshake
        // for a while (ws gives it 30 s), and it must not count as a subscriber meanwhile.
        set.delete(sink)
        sink.close(SLOW.close, SLOW.reason)
        options.onDrop?.(channel)
        continue
      }
      sink.send(data, { binary: false })
      sent++
    }
    if (set.size === 0) channels.delete(channel)
    return sent
  }

  return {
    subscribe (channel, sink) {
      let set = channels.get(channel)
      if (set === undefined) {
        set = new Set()
        channels.set(channel, set)
      }
      set.add(sink)
      const info = lastInfo.get(channel)
      if (info !== undefined && sink.readyState === OPEN) sink.send(info, { binary: false })
      return () => {
        const current = channels.get(channel)
        if (current === undefined) return
        current.delete(sink)
        if (current.size === 0) channels.delete(channel)
      }
    },
    publish (channel, data) {
      const info = isSessionInfo(data)
      if (info) remember(channel, data)
      let sent = deliver(channel, data)
      const to = follows.get(channel)
      if (to !== undefined) {
        if (info) remember(to, data)
        sent += deliver(to, data)
      }
      return sent
    },
    follow (from, to) {
      if (from === to) {
        follows.delete(from)
        return
      }
      follows.set(from, to)
      const info = lastInfo.get(from)
      if (info !== undefined) {
        remember(to, info)
        deliver(to, info)
      }
    },
    forget (channel) {
      follows.delete(channel)
      lastInfo.delete(channel)
    },
    channelCount: () => channels.size,
    subscriberCount: (channel) => channels.get(channel)?.size ?? 0,
  }
}
