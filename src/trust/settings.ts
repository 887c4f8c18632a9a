// src/trust/settings.ts
// What the trust code needs from the configuration, compiled once: matchers, secrets, allow-lists.

import { compileProxyList, type ProxyMatcher } from './addresses.js'
import { createCapabilities, type Capabilities } from './capabilities.js'
import { createTickets, type Tickets } from './tickets.js'
import { cookieNameFor, createSecret, type Secret } from './credentials.js'
import type { ForwardedFamily } from './forwarded.js'
import { compileHostAllowList, type HostAllowList } from './hosts.js'
import type { IdentitySettings } from './identity.js'

export type TrustMode = 'loopback' | 'proxy' | 'token' | 'insecure'
export const TRUST_MODES: readonly TrustMode[] = ['loopback', 'proxy', 'token', 'insecure']

export interface TrustSettings {
  readonly mode: TrustMode
  readonly proxies: ProxyMatcher
  readonly forwarded: ForwardedFamily
  readonly hosts: HostAllowList
  /** Path of --public-url, the base path when no trusted X-Forwarded-Prefix says otherwise. */
  readonly publicBasePath: string
  /** Prefix under which an embedding Fastify app registered the dashboard. */
  readonly mountPrefix: string
  readonly token: Secret
  /** Name of the session cookie, derived from the token: dashboards on one host never share it, and a
   *  cookie from an earlier run (another token) is simply not ours. */
  readonly cookieName: string
  /** Per-chat credentials of the programs the dashboard spawns (`?internal=` on /api/pub); never served to a browser. */
  readonly capabilities: Capabilities
  /** WebSocket tickets (`?ticket=`) handed out by POST /api/auth/ws-ticket. */
  readonly tickets: Tickets
  readonly identity: IdentitySettings | null
}

export interface TrustSettingsInput {
  readonly mode: TrustMode
  readonly trustedProxies: readonly string[]
  readonly forwarded: ForwardedFamily
  /** Bound host, host of --public-url, --allowed-hosts. */
  readonly hostNames: readonly string[]
  readonly publicBasePath: string
  readonly mountPrefix?: string
  readonly token: string
  /** The store chats are granted their publisher credentials from (default: a new, empty one). */
  readonly capabilities?: Capabilities
  readonly tickets?: Tickets
  readonly identity: IdentitySettings | null
}

export function compileTrustSettings (input: TrustSettingsInput): TrustSettings {
  return Object.freeze({
    mode: input.mode,
    proxies: compileProxyList(input.trustedProxies),
    forwarded: input.forwarded,
    hosts: compileHostAllowList(input.hostNames),
    publicBasePath: input.publicBasePath,
    mountPrefix: input.mountPrefix ?? '',
    token: createSecret(input.token),
    cookieName: cookieNameFor(input.token),
    capabilities: input.capabilities ?? createCapabilities(),
    tickets: input.tickets ?? createTickets(),
    identity: input.identity,
  })
}
