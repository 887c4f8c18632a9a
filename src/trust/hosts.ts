// src/trust/hosts.ts
// Host and Origin parsing, normalisation and the allowed-host list. Pure.
// Every comparison goes through hostKey(): case-folded, one trailing dot dropped, :80 and :443 dropped,
// IPv6 in brackets, so `Host: h:443`, `Origin: https://h` and `--public-url https://H/` all agree.

import { parseAddress } from './addresses.js'
import { memoize } from './memo.js'

export interface HostValue {
  /** Lower-case name or address, without brackets or port. */
  readonly name: string
  readonly port: number | null
  readonly isIp: boolean
  /** Canonical `name[:port]` (IPv6 bracketed, default ports dropped) for same-origin comparisons. */
  readonly key: string
}

const NAME_RE = /^[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?$/
const PORT_RE = /^\d{1,5}$/

/** Parses a Host-style value (`name`, `name:port`, `[v6]`, `[v6]:port`); null when malformed. */
export const parseHost: (raw: string) => HostValue | null = memoize(parseHostText, 512)

function parseHostText (raw: string): HostValue | null {
  const value = raw.trim().toLowerCase()
  if (value.length === 0 || value.length > 262) return null
  let name: string
  let portText: string | undefined
  if (value.startsWith('[')) {
    const end = value.indexOf(']')
    if (end === -1) return null
    name = value.slice(1, end)
    const rest = value.slice(end + 1)
    if (rest.length > 0) {
      if (!rest.startsWith(':')) return null
      portText = rest.slice(1)
    }
    // An IPv4-mapped literal ([::ffff:127.0.0.1]) is an IP literal too; it folds to its IPv4 form.
    const addr = parseAddress(name)
    if (addr === null || !name.includes(':')) return null
    name = addr.toString()
  } else {
    const colon = value.indexOf(':')
    if (colon !== -1) {
      if (value.indexOf(':', colon + 1) !== -1) return null // bare IPv6 is not a valid Host
      portText = value.slice(colon + 1)
      name = value.slice(0, colon)
    } else {
      name = value
    }
    if (name.endsWith('.')) name = name.slice(0, -1)
    if (!NAME_RE.test(name)) return null
  }
  let port: number | null = null
  if (portText !== undefined) {
    if (!PORT_RE.test(portText)) return null
    port = Number(portText)
    if (port < 1 || port > 65535) return null
  }
  const isIp = value.startsWith('[') || parseAddress(name) !== null
  const shown = name.includes(':') ? `[${name}]` : name
  const key = port === null || port === 80 || port === 443 ? shown : `${shown}:${port}`
  return Object.freeze({ name, port, isIp, key })
}

export type OriginValue =
  | { readonly kind: 'web', readonly scheme: 'http' | 'https', readonly host: HostValue }
  | { readonly kind: 'non-web', readonly scheme: string }
  | { readonly kind: 'invalid' }

/** Classifies an Origin header: a web page (http/https), a non-web shell (`null`, file:, app:), or junk. */
export function parseOrigin (raw: string): OriginValue {
  const value = raw.trim()
  if (value === 'null') return { kind: 'non-web', scheme: 'null' }
  if (value.length > 2048) return { kind: 'invalid' }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { kind: 'invalid' }
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase()
  if (scheme !== 'http' && scheme !== 'https') return { kind: 'non-web', scheme }
  const host = parseHost(url.host)
  if (host === null) return { kind: 'invalid' }
  return { kind: 'web', scheme, host }
}

const DEFAULT_PORT = { http: 80, https: 443 } as const

/**
 * Same origin in the browser's sense: scheme, host and port all equal. The request's side is its
 * effective scheme (TLS, or a trusted proxy's X-Forwarded-Proto) and effective host; a missing port
 * is that scheme's default, so `http://h` and `https://h` are two origins, and so are `h:80` and `h:443`.
 */
export function sameOrigin (origin: { readonly scheme: 'http' | 'https', readonly host: HostValue }, scheme: 'http' | 'https', host: HostValue): boolean {
  return origin.scheme === scheme && origin.host.name === host.name &&
    (origin.host.port ?? DEFAULT_PORT[origin.scheme]) === (host.port ?? DEFAULT_PORT[scheme])
}

/** The names the dashboard answers to, besides IP literals and localhost, which are always allowed. */
export interface HostAllowList {
  readonly names: readonly string[]
  allows (host: HostValue): boolean
}

export function compileHostAllowList (names: readonly string[]): HostAllowList {
  const set = new Set<string>()
  for (const entry of names) {
    const parsed = parseHost(entry)
    if (parsed !== null) set.add(parsed.name)
  }
  return {
    names: Object.freeze([...set]),
    // A rebinding attack needs a DNS name it controls: IP literals and *.localhost can't be rebound.
    allows: (host) => host.isIp || host.name === 'localhost' || host.name.endsWith('.localhost') || set.has(host.name),
  }
}
