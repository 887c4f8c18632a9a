// test/helpers/raw-request.ts
// Builds what the trust code reads, by hand: compiled settings, and a RawRequest presented the way
// Node's HTTP parser would present a client's header lines (repeats joined or dropped as Node does).

import type { IncomingHttpHeaders } from 'node:http'
import type { RawRequest } from '../../src/trust/inspect.js'
import { createCapabilities } from '../../src/trust/capabilities.js'
import { compileTrustSettings, type TrustSettings, type TrustSettingsInput } from '../../src/trust/settings.js'

export const TOKEN = 'Zq3xV9kLm2Pw7RtY4nBc8HdJ5fGs1aE6uTo0'
/** The publisher credentials every testSettings() checks ?internal= against. */
export const CAPABILITIES = createCapabilities()
/** A chat's publisher credential, granted for the channel `chat-1`. */
export const INTERNAL = CAPABILITIES.grant('chat-1').credential

export function testSettings (input: Partial<TrustSettingsInput> = {}): TrustSettings {
  return compileTrustSettings({
    capabilities: CAPABILITIES,
    mode: 'loopback',
    trustedProxies: [],
    forwarded: 'x-forwarded-for',
    hostNames: ['dash.example.test'],
    publicBasePath: '',
    token: TOKEN,
    identity: null,
    ...input,
  })
}

// Node drops repeats of these and keeps the first; cookie lines join with '; ', others with ', '.
const SINGLE = new Set(['host', 'authorization', 'content-type', 'content-length', 'user-agent', 'referer', 'from'])

export interface Req {
  readonly peer?: string
  readonly method?: string
  readonly url?: string
  /** Header lines in order, exact spelling, as a client sends them. */
  readonly headers?: ReadonlyArray<readonly [string, string]>
  readonly upgrade?: boolean
  readonly encrypted?: boolean
  /** The server's own address on the connection (socket.localAddress). */
  readonly local?: string
  /** The first Host line (default 127.0.0.1:9119); null sends none. */
  readonly host?: string | null
}

export function rawRequest (r: Req = {}): RawRequest {
  const lines: Array<readonly [string, string]> = r.host === null ? [] : [['Host', r.host ?? '127.0.0.1:9119']]
  lines.push(...(r.headers ?? []))
  const rawHeaders: string[] = []
  const headers: Record<string, string> = {}
  for (const [name, value] of lines) {
    rawHeaders.push(name, value)
    const key = name.toLowerCase()
    const prev = headers[key]
    if (prev === undefined) headers[key] = value
    else if (!SINGLE.has(key)) headers[key] = `${prev}${key === 'cookie' ? '; ' : ', '}${value}`
  }
  return {
    peer: r.peer ?? '127.0.0.1',
    method: r.method ?? 'GET',
    url: r.url ?? '/api/x',
    headers: headers as IncomingHttpHeaders,
    rawHeaders,
    upgrade: r.upgrade ?? false,
    encrypted: r.encrypted ?? false,
    ...(r.local === undefined ? {} : { local: r.local }),
  }
}
