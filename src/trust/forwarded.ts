// src/trust/forwarded.ts
// Parsing of the forwarded-header families (X-Forwarded-* or RFC 7239 Forwarded) and the choice of the
// client address. Pure. Only called for requests whose raw peer is a trusted proxy.

import { normalizeAddress } from './addresses.js'

export type ForwardedFamily = 'x-forwarded-for' | 'forwarded'

/** The forwarded headers of one request, each header line kept (a header may be sent more than once). */
export interface ForwardedHeaders {
  readonly xForwardedFor: readonly string[]
  readonly xForwardedProto: readonly string[]
  readonly xForwardedHost: readonly string[]
  readonly forwarded: readonly string[]
}

/** One hop of the chain: an address, or an RFC 7239 identifier (`unknown`, `_hidden`). */
export interface Hop {
  readonly value: string
  readonly isAddress: boolean
}

export interface ForwardedChain {
  /** Hops left to right: the original client first, the hop nearest to us last. */
  readonly hops: readonly Hop[]
  /** Scheme claimed by the nearest proxy, when it claimed one. */
  readonly proto: 'http' | 'https' | null
  /** Host claimed by the nearest proxy, raw (validated by the caller with parseHost). */
  readonly host: string | null
  /** Which headers the values came from, for /api/trust/explain. */
  readonly headers: readonly string[]
}

export class ForwardedHeaderError extends Error {
  readonly header: string
  constructor (header: string, problem: string) {
    super(`${header}: ${problem}`)
    this.header = header
  }
}

/** Hops beyond this are refused: no real proxy chain is that long, and parsing stays bounded. */
export const MAX_HOPS = 32

function splitList (lines: readonly string[]): string[] {
  const out: string[] = []
  for (const line of lines) for (const part of line.split(',')) out.push(part.trim())
  return out
}

/** `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]`, `[::1]:80` → canonical address, or null. */
function parseNodeAddress (text: string): string | null {
  if (text.startsWith('[')) {
    const end = text.indexOf(']')
    if (end === -1) return null
    const rest = text.slice(end + 1)
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null
    return normalizeAddress(text.slice(1, end))
  }
  const colons = text.split(':').length - 1
  if (colons === 1) {
    const [addr, port] = text.split(':') as [string, string]
    if (!/^\d{1,5}$/.test(port)) return null
    return addr.includes('.') ? normalizeAddress(addr) : null
  }
  return normalizeAddress(text)
}

function lastValue (header: string, lines: readonly string[]): string | null {
  const values = splitList(lines)
  if (values.length === 0) return null
  const last = values[values.length - 1] as string
  if (last === '') throw new ForwardedHeaderError(header, 'empty value')
  return last
}

function parseProto (header: string, value: string | null): 'http' | 'https' | null {
  if (value === null) return null
  const proto = value.toLowerCase()
  if (proto === 'http' || proto === 'ws') return 'http'
  if (proto === 'https' || proto === 'wss') return 'https'
  throw new ForwardedHeaderError(header, `"${value.slice(0, 40)}" is not http or https`)
}

function parseXForwarded (headers: ForwardedHeaders): ForwardedChain {
  const used: string[] = []
  const hops: Hop[] = []
  if (headers.xForwardedFor.length > 0) {
    used.push('x-forwarded-for')
    const entries = splitList(headers.xForwardedFor)
    if (entries.length > MAX_HOPS) throw new ForwardedHeaderError('X-Forwarded-For', `more than ${MAX_HOPS} hops`)
    for (const entry of entries) {
      const addr = parseNodeAddress(entry)
      if (addr === null) {
        throw new ForwardedHeaderError('X-Forwarded-For', entry === '' ? 'empty entry' : `"${entry.slice(0, 64)}" is not an IP address`)
      }
      hops.push({ value: addr, isAddress: true })
    }
  }
  if (headers.xForwardedProto.length > 0) used.push('x-forwarded-proto')
  if (headers.xForwardedHost.length > 0) used.push('x-forwarded-host')
  return {
    hops,
    proto: parseProto('X-Forwarded-Proto', lastValue('X-Forwarded-Proto', headers.xForwardedProto)),
    host: lastValue('X-Forwarded-Host', headers.xForwardedHost),
    headers: used,
  }
}

// RFC 7239: elements separated by commas, pairs by semicolons, values are tokens or quoted strings.
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function splitOutsideQuotes (text: string, separator: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quoted) {
      current += ch
      if (ch === '\\' && i + 1 < text.length) current += text[++i] as string
      else if (ch === '"') quoted = false
    } else if (ch === '"') {
      quoted = true
      current += ch
    } else if (ch === separator) {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  if (quoted) throw new ForwardedHeaderError('Forwarded', 'unterminated quoted string')
  parts.push(current)
  return parts
}

function unquote (value: string): string {
  if (!value.startsWith('"')) {
    if (!TOKEN_RE.test(value)) throw new ForwardedHeaderError('Forwarded', `"${value.slice(0, 40)}" is neither a token nor a quoted string`)
    return value
  }
  if (value.length < 2 || !value.endsWith('"')) throw new ForwardedHeaderError('Forwarded', 'bad quoted string')
  return value.slice(1, -1).replace(/\\(.)/g, '$1')
}

function parseForwardedNode (value: string): Hop {
  if (value.toLowerCase() === 'unknown') return { value: 'unknown', isAddress: false }
  if (/^_[A-Za-z0-9._-]{1,64}$/.test(value)) return { value, isAddress: false }
  // RFC 7239 §6: IPv6 must be bracketed; a bare IPv4 may carry a port.
  if (value.includes(':') && !value.startsWith('[') && value.split(':').length > 2) {
    throw new ForwardedHeaderError('Forwarded', `"${value.slice(0, 64)}": an IPv6 node must be in brackets`)
  }
  const addr = parseNodeAddress(value)
  if (addr === null) throw new ForwardedHeaderError('Forwarded', `"${value.slice(0, 64)}" is not a node identifier`)
  return { value: addr, isAddress: true }
}

function parseRfc7239 (lines: readonly string[]): ForwardedChain {
  const hops: Hop[] = []
  let proto: 'http' | 'https' | null = null
  let host: string | null = null
  const elements = lines.flatMap((line) => splitOutsideQuotes(line, ','))
  if (elements.length > MAX_HOPS) throw new ForwardedHeaderError('Forwarded', `more than ${MAX_HOPS} elements`)
  elements.forEach((element, index) => {
    const last = index === elements.length - 1
    const seen = new Set<string>()
    for (const pair of splitOutsideQuotes(element, ';')) {
      const text = pair.trim()
      if (text === '') {
        if (element.trim() === '') throw new ForwardedHeaderError('Forwarded', 'empty element')
        continue
      }
      const eq = text.indexOf('=')
      if (eq <= 0) throw new ForwardedHeaderError('Forwarded', `"${text.slice(0, 40)}" is not name=value`)
      const name = text.slice(0, eq).trim().toLowerCase()
      if (seen.has(name)) throw new ForwardedHeaderError('Forwarded', `"${name}" appears twice in one element`)
      seen.add(name)
      const value = unquote(text.slice(eq + 1).trim())
      if (name === 'for') hops.push(parseForwardedNode(value))
      // Only the element added by the nearest proxy may set the scheme and host.
      else if (name === 'proto' && last) proto = parseProto('Forwarded', value)
      else if (name === 'host' && last) host = value
    }
  })
  return { hops, proto, host, headers: lines.length > 0 ? ['forwarded'] : [] }
}

/** Reads exactly one family: the other family's headers are never looked at, so they cannot be smuggled. */
export function parseForwarded (family: ForwardedFamily, headers: ForwardedHeaders): ForwardedChain {
  return family === 'forwarded' ? parseRfc7239(headers.forwarded) : parseXForwarded(headers)
}

export interface ClientChoice {
  readonly client: string
  /** Index in hops of the chosen entry; -1 when there were no hops and the peer is the client. */
  readonly hop: number
}

/**
 * Walks the chain from the right, skipping hops that are trusted proxies themselves; the first
 * untrusted hop is the client. If every hop is trusted, the left-most one is.
 */
export function chooseClient (peer: string, hops: readonly Hop[], isTrusted: (address: string) => boolean): ClientChoice {
  if (hops.length === 0) return { client: peer, hop: -1 }
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as Hop
    if (!hop.isAddress || !isTrusted(hop.value)) return { client: hop.value, hop: i }
  }
  return { client: (hops[0] as Hop).value, hop: 0 }
}
