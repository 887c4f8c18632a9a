// src/trust/addresses.ts
// IP address parsing and the trusted-proxy matcher. Pure: no I/O, compiled once at start-up.

import ipaddr from 'ipaddr.js'
import { memoize } from './memo.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6
type Range = readonly [Address, number]

// Checked before ipaddr.js sees the text: it accepts hex and octal parts, and for a host name it
// throws and catches an exception, which costs ten times a parse on the request path.
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const IPV6_CHARS_RE = /^[0-9a-fA-F:.]+(?:%[\w.-]+)?$/

/**
 * Parses an address the strict way: IPv4 only in four-part decimal (no `127.1`, no octal), IPv6 with an
 * optional zone. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is folded to IPv4 so one rule covers both spellings.
 */
export function parseAddress (text: string): Address | null {
  if (text.length === 0 || text.length > 64) return null
  if (text.includes(':')) {
    if (!IPV6_CHARS_RE.test(text) || !ipaddr.IPv6.isValid(text)) return null
    // An embedded IPv4 part (::ffff:1.2.3.4) must be strict decimal too.
    const dotted = text.slice(text.lastIndexOf(':') + 1).split('%')[0] as string
    if (dotted.includes('.') && !IPV4_RE.test(dotted)) return null
    const v6 = ipaddr.IPv6.parse(text)
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6
  }
  if (!IPV4_RE.test(text)) return null
  return ipaddr.IPv4.parse(text)
}

/** Canonical text of an address (folded, compressed, lower case), or null when it is not one. */
export function normalizeAddress (text: string): string | null {
  const addr = parseAddress(text)
  return addr === null ? null : addr.toString()
}

export function isLoopbackAddress (text: string): boolean {
  const addr = parseAddress(text)
  return addr !== null && addr.range() === 'loopback'
}

/** What the policy needs to know of a socket peer. */
export interface PeerFacts {
  /** Canonical address (IPv4-mapped folded), or the raw text when it is not an address. */
  readonly address: string
  readonly loopback: boolean
  readonly trustedProxy: boolean
}

const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
}

export const PROXY_RANGE_NAMES = Object.keys(NAMED_RANGES)

export class ProxyEntryError extends Error {
  readonly entry: string
  constructor (entry: string) {
    super(`"${entry}" is not an IP address, a CIDR range or one of ${PROXY_RANGE_NAMES.join(', ')}`)
    this.entry = entry
  }
}

function parseRange (entry: string): Range[] {
  const named = NAMED_RANGES[entry.toLowerCase()]
  if (named !== undefined) return named.flatMap(parseRange)
  const slash = entry.indexOf('/')
  const addr = parseAddress(slash === -1 ? entry : entry.slice(0, slash))
  if (addr === null) throw new ProxyEntryError(entry)
  const max = addr.kind() === 'ipv4' ? 32 : 128
  let bits = max
  if (slash !== -1) {
    const suffix = entry.slice(slash + 1)
    if (!/^\d{1,3}$/.test(suffix)) throw new ProxyEntryError(entry)
    bits = Number(suffix)
    // A mapped IPv6 range (::ffff:10.0.0.0/104) folds to IPv4, so its prefix length shifts by 96.
    if (addr.kind() === 'ipv4' && entry.slice(0, slash).includes(':')) bits -= 96
    if (bits < 0 || bits > max) throw new ProxyEntryError(entry)
  }
  return [[addr, bits]]
}

/** The compiled `--trusted-proxies` list. */
export interface ProxyMatcher {
  readonly entries: readonly string[]
  /** True when the (already normalized) address is one of the trusted proxies. */
  matches (address: string): boolean
  /** Facts about a raw socket peer (as Node reports it), remembered: one peer sends many requests. */
  peer (raw: string): PeerFacts
}

const CACHE_LIMIT = 1024

/** Compiles the list once; throws ProxyEntryError naming the first bad entry. */
export function compileProxyList (entries: readonly string[]): ProxyMatcher {
  const ranges = entries.flatMap(parseRange)
  const lookup = (address: string): boolean => {
    const addr = parseAddress(address)
    if (addr === null) return false
    return ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits))
  }
  const matches = ranges.length === 0 ? () => false : memoize(lookup, CACHE_LIMIT)
  const peer = memoize((raw): PeerFacts => {
    const addr = parseAddress(raw)
    const address = addr === null ? raw : addr.toString()
    return Object.freeze({ address, loopback: addr !== null && addr.range() === 'loopback', trustedProxy: matches(address) })
  }, CACHE_LIMIT)
  return { entries: Object.freeze([...entries]), matches, peer }
}
