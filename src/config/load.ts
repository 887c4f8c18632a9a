// src/config/load.ts
// The configuration, validated once with zod (its v3 API: a fifth of v4's load time at start-up,
// which is what this runs at) and frozen. Every problem is reported at once, each
// naming the flag (or variable, or config.yaml key), the value and what was expected.

import { homedir, hostname } from 'node:os'
import { resolve } from 'node:path'
import { z } from 'zod/v3'
import { DashboardError } from '../errors.js'
import { compileProxyList, isLoopbackAddress, parseAddress, ProxyEntryError } from '../trust/addresses.js'
import { generateToken } from '../trust/credentials.js'
import { parseHost } from '../trust/hosts.js'
import { parseGroupProfiles } from '../trust/identity.js'
import { normalizePrefix } from '../trust/prefix.js'
import { TRUST_MODES, type TrustMode } from '../trust/settings.js'
import { splitCommand } from './command.js'
import { OPTIONS, type OptionKey, type RawOptions } from './options.js'
import { attempt, layer, readArgv, readConfigYaml, readEnv, readObject } from './sources.js'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface Config {
  readonly host: string
  readonly port: number
  readonly trust: TrustMode
  readonly trustedProxies: readonly string[]
  readonly forwarded: 'x-forwarded-for' | 'forwarded'
  readonly publicUrl: string | null
  /** Path of --public-url, normalised (`''` or `/a/b`). */
  readonly publicBasePath: string
  readonly allowedHosts: readonly string[]
  readonly token: string
  readonly tokenGenerated: boolean
  readonly authHeader: string | null
  readonly groupsHeader: string | null
  readonly groupsSeparator: string
  readonly groupProfiles: ReadonlyMap<string, readonly string[]> | null
  readonly hermesHome: string
  readonly webDist: string | null
  readonly hermesCommand: readonly string[]
  readonly chatCommand: readonly string[]
  readonly gatewayCommand: readonly string[]
  readonly open: boolean
  readonly logLevel: LogLevel
  /** auto: pretty lines when stdout is a terminal, JSON lines otherwise. */
  readonly logFormat: LogFormat
  /** Milliseconds a connection may sit idle with no request in progress. */
  readonly connectionTimeoutMs: number
  /** Milliseconds a client may take to send a whole request. */
  readonly requestTimeoutMs: number
  readonly maxChats: number
  readonly maxGateways: number
  /** Hermes' own server behind this one (src/backend/). */
  readonly backend: BackendSetting
  /** Milliseconds to wait for the backend's answer to begin, and between its bytes. */
  readonly backendTimeoutMs: number
  readonly logoutUrl: string | null
}

export type BackendSetting =
  | { readonly mode: 'auto' }
  | { readonly mode: 'off' }
  /** A Hermes server already running on loopback; its token from backendToken or its page. */
  | { readonly mode: 'url', readonly url: string, readonly token: string | null }

/** Thrown with every problem found; the command line prints them and exits 2. */
export class ConfigError extends DashboardError {
  readonly problems: readonly string[]
  constructor (problems: readonly string[]) {
    super('HD_ERR_CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`)
    this.problems = problems
  }
}

// Headers that carry credentials, routing or forwarding: an identity may never be read from these.
const RESERVED_HEADERS = new Set(['host', 'authorization', 'cookie', 'origin', 'forwarded', 'x-hermes-session-token', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-prefix', 'x-real-ip', 'sec-fetch-site', 'connection', 'upgrade', 'content-length', 'transfer-encoding'])
const HEADER_NAME_RE = /^[A-Za-z0-9-]{1,64}$/

const str = z.string()
const text = (what: string) => str.trim().min(1, `expected ${what}`)

const headerName = text('a header name').refine((v) => HEADER_NAME_RE.test(v), 'expected a header name of letters, digits and dashes (underscores and dots are refused: proxies do not manage them)')
  .refine((v) => !RESERVED_HEADERS.has(v.toLowerCase()), 'expected a header of the SSO proxy, not a standard or credential header')
  .transform((v) => v.toLowerCase())

const count = (what: string, min: number, max: number, fallback: number) => text(what)
  .refine((v) => /^\d{1,7}$/.test(v) && Number(v) >= min && Number(v) <= max, `expected a whole number from ${min} to ${max}`)
  .transform(Number).default(String(fallback))

const command = (what: string) => text(what).transform((v, ctx) => {
  const argv = splitCommand(v)
  if (argv === null) {
    ctx.addIssue({ code: 'custom', message: 'expected a command line with balanced quotes' })
    return z.NEVER
  }
  return argv
})

const schema = z.object({
  host: text('an IP address or host name').refine((v) => parseAddress(v.replace(/^\[|\]$/g, '')) !== null || parseHost(v) !== null, 'expected an IP address or host name').default('127.0.0.1')
    .transform((v) => v.replace(/^\[|\]$/g, '')),
  port: text('a port').refine((v) => /^\d{1,5}$/.test(v) && Number(v) <= 65535, 'expected a port number from 0 to 65535').transform(Number).default('9119'),
  trust: z.enum(TRUST_MODES as [TrustMode, ...TrustMode[]], { message: `expected one of ${TRUST_MODES.join(', ')}` }).optional(),
  insecure: z.boolean().default(false),
  trustedProxies: z.array(str).default([]).superRefine((entries, ctx) => {
    try {
      compileProxyList(entries)
    } catch (err) {
      if (!(err instanceof ProxyEntryError)) throw err
      ctx.addIssue({ code: 'custom', message: `${err.message}` })
    }
  }),
  forwarded: z.enum(['x-forwarded-for', 'forwarded'], { message: 'expected x-forwarded-for or forwarded' }).default('x-forwarded-for'),
  publicUrl: text('a URL').transform((v, ctx) => {
    let url: URL
    try {
      url = new URL(v)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an http(s) URL such as https://hermes.example.com/hermes' })
      return z.NEVER
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      ctx.addIssue({ code: 'custom', message: 'expected an http(s) URL with a host' })
      return z.NEVER
    }
    const base = normalizePrefix(decodeURIComponent(url.pathname))
    if (base === null || url.search !== '' || url.hash !== '') {
      ctx.addIssue({ code: 'custom', message: 'expected a plain path (no query, fragment, "..", quotes or spaces)' })
      return z.NEVER
    }
    return { url: url.origin + base, host: url.host, base }
  }).optional(),
  allowedHosts: z.array(str).default([]).superRefine((hosts, ctx) => {
    for (const h of hosts) {
      if (h === '*') ctx.addIssue({ code: 'custom', message: '"*" is refused: the Host check is what stops DNS rebinding; list the names' })
      else if (parseHost(h) === null) ctx.addIssue({ code: 'custom', message: `"${h}" is not a host name` })
    }
  }),
  token: str.refine((v) => v.length >= 16 && v.length <= 512 && /^[\x21-\x7e]+$/.test(v), 'expected 16 to 512 printable characters without spaces').optional(),
  authHeader: headerName.optional(),
  groupsHeader: headerName.optional(),
  groupsSeparator: str.refine((v) => v.length >= 1 && v.length <= 4 && /^[,|;: ]+$/.test(v), 'expected one to four of , | ; : and space').default(',|'),
  groupProfiles: z.array(str).optional().transform((entries, ctx) => {
    if (entries === undefined || entries.length === 0) return null
    try {
      return parseGroupProfiles(entries)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message })
      return z.NEVER
    }
  }),
  hermesHome: text('a directory').optional(),
  webDist: text('a directory').optional(),
  hermesCommand: command('a command').default('hermes'),
  chatCommand: command('a command').default('hermes --tui'),
  gatewayCommand: command('a command').default('python3 -m tui_gateway.entry'),
  noOpen: z.boolean().default(false),
  logLevel: z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  logFormat: z.enum(LOG_FORMATS, { message: `expected one of ${LOG_FORMATS.join(', ')}` }).default('auto'),
  hermesBackend: text('auto, off or a URL').transform((v, ctx) => {
    if (v === 'auto' || v === 'off') return { mode: v } as const
    let url: URL
    try {
      url = new URL(v)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected auto, off, or the http:// URL of a Hermes server on this host' })
      return z.NEVER
    }
    // The backend is reached with a token of its own and no client credential; never off this host.
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (url.protocol !== 'http:' || !(host === 'localhost' || isLoopbackAddress(host)) || url.port === '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '') {
      ctx.addIssue({ code: 'custom', message: 'expected http://127.0.0.1:<port> (or [::1], localhost): Hermes\' server must be on this host, at its root' })
      return z.NEVER
    }
    return { mode: 'url', url: url.origin } as const
  }).default('auto'),
  backendToken: str.refine((v) => v.length >= 8 && v.length <= 512 && /^[\x21-\x7e]+$/.test(v), 'expected 8 to 512 printable characters without spaces').optional(),
  backendTimeout: count('seconds', 1, 86_400, 120),
  logoutUrl: text('a URL').refine((v) => { try { return ['http:', 'https:'].includes(new URL(v).protocol) || v.startsWith('/') } catch { return v.startsWith('/') && !v.startsWith('//') } }, 'expected an http(s) URL or a path on this site').optional(),
  connectionTimeout: count('seconds', 1, 86_400, 75),
  requestTimeout: count('seconds', 1, 86_400, 300),
  maxChats: count('a number of chats', 1, 4096, 32),
  maxGateways: count('a number of gateways', 1, 4096, 32),
})

export interface ConfigSources {
  /** Command-line arguments (without node and the script). */
  readonly argv?: readonly string[]
  /** Options given in code, as createDashboard takes them; they rank with the command line. */
  readonly options?: Readonly<Partial<Record<OptionKey, unknown>>>
  readonly env?: Readonly<Record<string, string | undefined>>
}

function describe (raw: RawOptions, key: OptionKey): string {
  const r = raw[key]
  const flag = `--${OPTIONS[key].flag}`
  if (r === undefined) return flag
  const shown = Array.isArray(r.value) ? (r.value as string[]).join(',') : String(r.value)
  const redacted = key === 'token' || key === 'backendToken' ? '<hidden>' : shown
  return `${r.source === flag ? flag : `${flag} (from ${r.source})`}: got ${JSON.stringify(redacted)}`
}

/** Reads every source, validates once, resolves the trust mode, and returns a frozen Config. */
export function loadConfig (sources: ConfigSources = {}): Config {
  const env = sources.env ?? {}
  // Problems of every source and every value are collected and reported together.
  const problems: string[] = []
  const argv = sources.argv
  const fromArgv = argv === undefined ? {} : attempt(problems, () => readArgv(argv).options) ?? {}
  const fromCode = sources.options === undefined ? {} : readObject(sources.options, problems)
  const early = layer(fromArgv, fromCode, readEnv(env, problems))
  const raw = layer(early, readConfigYaml(resolveHome(early.hermesHome?.value, env), problems))

  const input: Record<string, unknown> = {}
  for (const [key, r] of Object.entries(raw)) input[key] = r.value
  const result = schema.safeParse(input)
  if (!result.success) {
    problems.push(...result.error.issues.map((issue) => {
      const key = issue.path[0] as OptionKey
      return `${describe(raw, key)}; ${issue.message.replace(/^Invalid input: /, '')}`
    }))
  }
  if (!result.success || problems.length > 0) throw new ConfigError(problems)
  const v = result.data

  // Admission (the mode) and forwarded-header trust (--trusted-proxies) are separate settings.
  if (v.insecure && v.trust !== undefined && v.trust !== 'insecure') {
    problems.push(`${describe(raw, 'insecure')}; it conflicts with ${describe(raw, 'trust')} (use one of them)`)
  }
  const trust: TrustMode = v.trust ?? (v.insecure
    ? 'insecure'
    : v.trustedProxies.length > 0 ? 'proxy' : isLoopbackHostName(v.host) ? 'loopback' : 'token')
  if (trust === 'proxy' && v.trustedProxies.length === 0) {
    problems.push(`${describe(raw, 'trust')}; proxy mode needs --trusted-proxies (the addresses your proxy connects from)`)
  }
  if (v.authHeader !== undefined && trust !== 'proxy') {
    problems.push(`${describe(raw, 'authHeader')}; an identity header is only read in proxy mode, from --trusted-proxies (mode is ${trust})`)
  }
  if (v.groupsHeader !== undefined && v.authHeader === undefined) {
    problems.push(`${describe(raw, 'groupsHeader')}; it needs --auth-header`)
  }
  if (v.groupProfiles !== null && v.groupsHeader === undefined) {
    problems.push(`${describe(raw, 'groupProfiles')}; it needs --groups-header`)
  }
  if (v.authHeader !== undefined && v.authHeader === v.groupsHeader) {
    problems.push(`${describe(raw, 'groupsHeader')}; it must differ from --auth-header`)
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const hermesHome = resolveHome(v.hermesHome, env)
  const config: Config = {
    host: v.host,
    port: v.port,
    trust,
    trustedProxies: Object.freeze([...v.trustedProxies]),
    forwarded: v.forwarded,
    publicUrl: v.publicUrl?.url ?? null,
    publicBasePath: v.publicUrl?.base ?? '',
    allowedHosts: Object.freeze([...v.allowedHosts]),
    token: v.token ?? generateToken(),
    tokenGenerated: v.token === undefined,
    authHeader: v.authHeader ?? null,
    groupsHeader: v.groupsHeader ?? null,
    groupsSeparator: v.groupsSeparator,
    groupProfiles: v.groupProfiles,
    hermesHome,
    webDist: v.webDist === undefined ? null : resolve(v.webDist),
    hermesCommand: Object.freeze(v.hermesCommand),
    chatCommand: Object.freeze(v.chatCommand),
    gatewayCommand: Object.freeze(v.gatewayCommand),
    open: !v.noOpen,
    logLevel: v.logLevel,
    logFormat: v.logFormat,
    connectionTimeoutMs: v.connectionTimeout * 1000,
    requestTimeoutMs: v.requestTimeout * 1000,
    maxChats: v.maxChats,
    maxGateways: v.maxGateways,
    backend: v.hermesBackend.mode === 'url' ? { mode: 'url', url: v.hermesBackend.url, token: v.backendToken ?? null } : v.hermesBackend,
    backendTimeoutMs: v.backendTimeout * 1000,
    logoutUrl: v.logoutUrl ?? null,
  }
  return Object.freeze(config)
}

function resolveHome (fromOptions: unknown, env: Readonly<Record<string, string | undefined>>): string {
  if (typeof fromOptions === 'string' && fromOptions.trim() !== '') return resolve(fromOptions)
  const fromEnv = env.HERMES_HOME
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  return resolve(homedir(), '.hermes')
}

export function isLoopbackHostName (host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host)
}

export function isWildcardHost (host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

/** The names the Host check accepts besides IP literals and localhost. */
export function allowedHostNames (config: Config): string[] {
  const names: string[] = [...config.allowedHosts]
  if (parseAddress(config.host) === null) names.push(config.host)
  if (config.publicUrl !== null) names.push(new URL(config.publicUrl).host)
  // Reached over the LAN by the machine's own name; a rebinding page cannot make the browser send it.
  if (!isLoopbackHostName(config.host)) {
    const own = hostname().toLowerCase()
    if (parseHost(own) !== null) names.push(own, own.split('.')[0] as string)
  }
  return names
}
