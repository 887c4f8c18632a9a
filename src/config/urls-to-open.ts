// src/config/urls-to-open.ts
// The URLs the command line prints at start-up: on a wildcard bind, the ones people on the network
// can open (the host name, then each non-loopback address the bind covers), and this host's own
// loopback URL last; otherwise the bound address. Pure: the interfaces and host name come in.

import type { NetworkInterfaceInfo } from 'node:os'
import { isWildcardHost } from './load.js'

export interface UrlsInput {
  readonly host: string
  readonly port: number
  /** Token mode: each URL carries ?token= so that opening it signs the browser in. */
  readonly token: string | null
  /** Peers elsewhere are admitted (not loopback mode): only then are the network's URLs worth printing. */
  readonly network: boolean
  readonly interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>
  readonly hostname: string
}

function bracket (h: string): string {
  return h.includes(':') ? `[${h}]` : h
}

export function urlsToOpen (input: UrlsInput): string[] {
  const query = input.token === null ? '' : `?token=${encodeURIComponent(input.token)}`
  const url = (h: string): string => `http://${bracket(h)}:${input.port}/${query}`
  const local = url(input.host === '::' ? '::1' : input.host === '0.0.0.0' ? '127.0.0.1' : input.host)
  if (!isWildcardHost(input.host) || !input.network) return [local]
  // 0.0.0.0 covers IPv4 only; :: covers both (Node opens it dual-stack).
  const families = input.host === '::' ? ['IPv4', 'IPv6'] : ['IPv4']
  const addresses = Object.values(input.interfaces).flatMap((list) => list ?? [])
    .filter((i) => !i.internal && families.includes(i.family) && !(i.family === 'IPv6' && /^fe80:/i.test(i.address)))
    .sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1))
    .map((i) => i.address)
  const name = input.hostname.toLowerCase()
  const names = name === '' || name === 'localhost' ? [] : [name]
  return [...new Set([...names, ...addresses])].map(url).concat(local)
}
