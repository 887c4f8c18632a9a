// src/events/hub.ts
// Channels of event subscribers: what a publisher sends on /api/pub goes, verbatim and in order, to
// every /api/events subscriber of the same channel. A subscriber that falls behind is dropped, never
// buffered without bound. Knows nothing of HTTP; a sink is anything with the WebSocket's few members.

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
  channelCount (): number
  subscriberCount (channel: string): number
  /** Closes every subscriber (server shutdown). */
  closeAll (code: number, reason: string): void
}

export interface EventHubOptions {
  /** Bytes a subscriber may have queued before it is dropped. */
  readonly maxBufferedBytes: number
  /** Called when a slow subscriber is dropped. */
  readonly onDrop?: (channel: string) => void
}

const SLOW = ERRORS.HD_ERR_SUBSCRIBER_TOO_SLOW

export function createEventHub (options: EventHubOptions): EventHub {
  const channels = new Map<string, Set<Sink>>()

  return {
    subscribe (channel, sink) {
      let set = channels.get(channel)
      if (set === undefined) {
        set = new Set()
        channels.set(channel, set)
      }
      set.add(sink)
      return () => {
        const current = channels.get(channel)
        if (current === undefined) return
        current.delete(sink)
        if (current.size === 0) channels.delete(channel)
      }
    },
    publish (channel, data) {
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
    },
    channelCount: () => channels.size,
    subscriberCount: (channel) => channels.get(channel)?.size ?? 0,
    closeAll (code, reason) {
      for (const set of channels.values()) for (const sink of set) sink.close(code, reason)
    },
  }
}
