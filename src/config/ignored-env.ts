// src/config/ignored-env.ts
// Variables Hermes' own dashboard (and its Docker image) reads that this server does not: set, they
// would suggest a protection or a behaviour that is not there, so the command line names each one
// at start-up with what to use instead. Those it honours are in its option table (options.ts):
// HERMES_DASHBOARD_HOST, _PORT, _PUBLIC_URL, _SESSION_TOKEN, _INSECURE, HERMES_WEB_DIST, HERMES_HOME.

export interface IgnoredVariable {
  /** The name, or a prefix ending in `_`. */
  readonly name: string
  readonly instead: string
}

const LOGIN = 'this server has no login page of its own: it uses its session token, or an SSO proxy\'s identity header (--trust proxy --auth-header); see docs/trust.md'

export const IGNORED_ENV: readonly IgnoredVariable[] = [
  { name: 'HERMES_DASHBOARD_BASIC_AUTH_', instead: `Hermes' password login: ${LOGIN}` },
  { name: 'HERMES_DASHBOARD_OAUTH_', instead: `Hermes' OAuth login: ${LOGIN}` },
  { name: 'HERMES_DASHBOARD_OIDC_', instead: `Hermes' OIDC login: ${LOGIN}` },
  { name: 'HERMES_DASHBOARD_PORTAL_URL', instead: 'Hermes\' portal sign-in is not used; use --logout-url for where signing out leads' },
  { name: 'HERMES_DASHBOARD_WS_HOST', instead: 'WebSockets are served on the same host and port as the page; nothing to set' },
]

/** `NAME: what instead`, one per variable set (to a non-empty value) that this server ignores. */
export function ignoredVariables (env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = []
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue
    const rule = IGNORED_ENV.find((r) => r.name.endsWith('_') ? key.startsWith(r.name) : key === r.name)
    if (rule !== undefined) out.push(`${key}: ${rule.instead}`)
  }
  return out.sort()
}
