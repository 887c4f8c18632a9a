// src/trust/denial-log.ts
// One structured log line per refusal, at most once per (reason, peer) a minute, and one line per peer
// whose forwarded headers were ignored. Memory stays bounded however many peers there are.

import type { FastifyBaseLogger } from 'fastify'
import type { Deny } from './policy.js'
import type { RequestView } from './inspect.js'
import { ERRORS } from '../errors.js'

export interface DenialLog {
  denied (view: RequestView, verdict: Deny): void
  forwardedIgnored (view: RequestView): void
}

export interface DenialLogOptions {
  readonly intervalMs?: number
  readonly maxKeys?: number
  readonly now?: () => number
}

export function createDenialLog (log: FastifyBaseLogger, options: DenialLogOptions = {}): DenialLog {
  const interval = options.intervalMs ?? 60_000
  const maxKeys = options.maxKeys ?? 4096
  const now = options.now ?? Date.now
  const lastSeen = new Map<string, number>()
  const ignoredPeers = new Set<string>()

  function due (key: string): boolean {
    const t = now()
    const last = lastSeen.get(key)
    if (last !== undefined && t - last < interval) return false
    if (lastSeen.size >= maxKeys) {
      // Drop the oldest half rather than everything, so a flood of new peers cannot unmute one.
      let n = 0
      for (const k of lastSeen.keys()) { if (n++ >= maxKeys / 2) break; lastSeen.delete(k) }
    }
    lastSeen.delete(key)
    lastSeen.set(key, t)
    return true
  }

  return {
    denied (view, verdict) {
      const reason = ERRORS[verdict.code].reason
      if (!due(`${reason}\0${view.peer}`)) return
      log.warn({
        event: 'trust.denied', reason, code: verdict.code, peer: view.peer, client: view.client,
        method: view.method, path: view.path, upgrade: view.upgrade, detail: verdict.detail, hint: verdict.hint,
      }, `refused ${view.upgrade ? 'WebSocket' : view.method} ${view.path}: ${reason}`)
    },
    forwardedIgnored (view) {
      if (view.forwarded.ignored.length === 0 || ignoredPeers.has(view.peer)) return
      if (ignoredPeers.size >= maxKeys) ignoredPeers.clear()
      ignoredPeers.add(view.peer)
      log.info({
        event: 'trust.forwarded_ignored', peer: view.peer, headers: view.forwarded.ignored,
        hint: view.peerIsTrustedProxy
          ? `only the ${view.forwarded.family} family is read (--forwarded)`
          : `${view.peer} is not in --trusted-proxies, so its forwarded headers are not read (add it if it is your proxy)`,
      }, `forwarded headers from ${view.peer} ignored`)
    },
  }
}
