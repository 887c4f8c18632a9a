// src/chat/launch.ts
// What the chat program is started with, as pure functions: the query of /api/pty read into a
// request, the environment the Hermes TUI expects (reference §2.3), and the loopback URL of this
// server's /api/pub that the chat's gateway publishes its events to.

import { DashboardError } from '../errors.js'
import { isChannel } from '../events/hub.js'
import { SESSION_ID_RE } from './active-session.js'

export interface ChatQuery {
  readonly channel: string | null
  readonly resume: string | null
  readonly fresh: boolean
  readonly attach: string | null
}

const TRUE = new Set(['1', 'true', 'yes', 'on'])
const ATTACH_RE = /^[\x21-\x7e]{1,256}$/

function single (query: Record<string, unknown>, name: string): string | null {
  const v = query[name]
  if (v === undefined) return null
  if (typeof v !== 'string') throw new DashboardError('HD_ERR_QUERY_INVALID', `?${name}= was given more than once`)
  return v
}

/**
 * Reads /api/pty's query. An invalid channel is ignored (as in Hermes); other bad values throw. The
 * profile is not read here: it comes from the request as the trust policy saw it.
 */
export function readChatQuery (query: Record<string, unknown>): ChatQuery {
  const channel = single(query, 'channel')
  const resume = single(query, 'resume')
  const attach = single(query, 'attach')
  const fresh = single(query, 'fresh')
  if (resume !== null && resume !== '' && !SESSION_ID_RE.test(resume)) {
    throw new DashboardError('HD_ERR_QUERY_INVALID', 'the resume session id is not a Hermes session id')
  }
  if (attach !== null && !ATTACH_RE.test(attach)) {
    throw new DashboardError('HD_ERR_QUERY_INVALID', 'the attach key must be 1 to 256 printable characters')
  }
  return {
    channel: isChannel(channel) ? channel : null,
    resume: resume === '' ? null : resume,
    fresh: fresh !== null && TRUE.has(fresh.toLowerCase()),
    attach,
  }
}

export interface ChatEnvInput {
  /** HERMES_HOME of the chosen profile. */
  readonly home: string
  readonly resume: string | null
  readonly sidecarUrl: string | null
  readonly activeSessionFile: string | null
}

/** The chat program's environment: ours, without the dashboard's secret, plus what the TUI expects. */
export function chatEnv (base: Readonly<Record<string, string>>, input: ChatEnvInput): Record<string, string> {
  const env: Record<string, string> = { ...base }
  for (const [k, v] of [['NODE_ENV', 'production'], ['HERMES_TUI_DISABLE_MOUSE', '1'], ['HERMES_TUI_INLINE', '1'], ['COLORTERM', 'truecolor']] as const) {
    if (env[k] === undefined || env[k] === '') env[k] = v
  }
  if (env.TERM === undefined || env.TERM === '') env.TERM = 'xterm-256color'
  env.HERMES_TUI_DASHBOARD = '1'
  env.HERMES_HOME = input.home
  // Nothing inherited may point the chat at another session or another server's channel.
  delete env.HERMES_TUI_RESUME
  delete env.HERMES_TUI_SIDECAR_URL
  delete env.HERMES_TUI_ACTIVE_SESSION_FILE
  delete env.HERMES_TUI_GATEWAY_URL
  if (input.resume !== null) env.HERMES_TUI_RESUME = input.resume
  if (input.sidecarUrl !== null) env.HERMES_TUI_SIDECAR_URL = input.sidecarUrl
  if (input.activeSessionFile !== null) env.HERMES_TUI_ACTIVE_SESSION_FILE = input.activeSessionFile
  return env
}

export interface ListenAddress {
  readonly address: string
  readonly port: number
}

/**
 * ws:// URL of this server's /api/pub for `channel`, reached from this host. A wildcard bind is
 * reached on 127.0.0.1; a specific address on itself (the connection then comes from that same
 * address, which the policy counts as this host). The credential is the one granted to this chat.
 */
export function sidecarUrl (listen: ListenAddress, mountPrefix: string, internal: string, channel: string): string {
  const a = listen.address
  const host = a === '0.0.0.0' || a === '::' || a === '' ? '127.0.0.1' : a.includes(':') ? `[${a}]` : a
  const query = new URLSearchParams({ internal, channel })
  return `ws://${host}:${listen.port}${mountPrefix}/api/pub?${query.toString()}`
}
