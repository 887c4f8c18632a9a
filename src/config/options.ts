// src/config/options.ts
// The table of every option: its flag, environment variable, config.yaml key and help text.
// One table drives argv parsing, environment and YAML reading, error messages and --help.

export type OptionKind = 'string' | 'boolean' | 'list'

export interface OptionSpec {
  readonly kind: OptionKind
  /** Long flag without the dashes. */
  readonly flag: string
  /** HERMES_DASHBOARD_* (or a Hermes-wide name); absent when the option has no variable. */
  readonly env?: readonly string[]
  /** Key under `dashboard:` in $HERMES_HOME/config.yaml; absent when the file may not set it. */
  readonly yaml?: string
  readonly arg?: string
  readonly help: string
}

export const OPTIONS = {
  host: { kind: 'string', flag: 'host', env: ['HERMES_DASHBOARD_HOST'], yaml: 'host', arg: 'ADDR', help: 'Address to listen on (default 127.0.0.1).' },
  port: { kind: 'string', flag: 'port', env: ['HERMES_DASHBOARD_PORT'], yaml: 'port', arg: 'N', help: 'Port to listen on; 0 picks a free port (default 9119).' },
  trust: { kind: 'string', flag: 'trust', env: ['HERMES_DASHBOARD_TRUST'], yaml: 'trust', arg: 'MODE', help: 'loopback | proxy | token | insecure (default: from --host and --trusted-proxies).' },
  insecure: { kind: 'boolean', flag: 'insecure', env: ['HERMES_DASHBOARD_INSECURE'], yaml: 'insecure', help: 'Same as --trust insecure: no credential needed. Host and Origin checks still hold.' },
  trustedProxies: { kind: 'list', flag: 'trusted-proxies', env: ['HERMES_DASHBOARD_TRUSTED_PROXIES'], yaml: 'trusted_proxies', arg: 'LIST', help: 'Proxies whose forwarded headers are read: CIDRs, addresses, loopback, private, linklocal.' },
  forwarded: { kind: 'string', flag: 'forwarded', env: ['HERMES_DASHBOARD_FORWARDED'], yaml: 'forwarded', arg: 'FAMILY', help: 'x-forwarded-for (default) or forwarded (RFC 7239); only one family is ever read.' },
  publicUrl: { kind: 'string', flag: 'public-url', env: ['HERMES_DASHBOARD_PUBLIC_URL'], yaml: 'public_url', arg: 'URL', help: 'URL people open, e.g. https://hermes.example.com/hermes; its host is allowed and its path is the base path.' },
  allowedHosts: { kind: 'list', flag: 'allowed-hosts', env: ['HERMES_DASHBOARD_ALLOWED_HOSTS'], yaml: 'allowed_hosts', arg: 'LIST', help: 'More host names the dashboard answers to (IP literals and localhost always are).' },
  token: { kind: 'string', flag: 'token', env: ['HERMES_DASHBOARD_SESSION_TOKEN'], arg: 'TOKEN', help: 'Session token (default: 32 random bytes). Prefer the environment variable: argv is visible in ps.' },
  authHeader: { kind: 'string', flag: 'auth-header', env: ['HERMES_DASHBOARD_AUTH_HEADER'], yaml: 'auth_header', arg: 'NAME', help: 'Identity header set by an SSO proxy (Remote-User, X-authentik-username); proxy mode only.' },
  groupsHeader: { kind: 'string', flag: 'groups-header', env: ['HERMES_DASHBOARD_GROUPS_HEADER'], yaml: 'groups_header', arg: 'NAME', help: 'Groups header set by the SSO proxy (Remote-Groups, X-authentik-groups).' },
  groupsSeparator: { kind: 'string', flag: 'groups-separator', env: ['HERMES_DASHBOARD_GROUPS_SEPARATOR'], yaml: 'groups_separator', arg: 'CHARS', help: 'Characters that separate groups (default ",|": Authelia uses commas, authentik pipes).' },
  groupProfiles: { kind: 'list', flag: 'group-profiles', env: ['HERMES_DASHBOARD_GROUP_PROFILES'], yaml: 'group_profiles', arg: 'LIST', help: 'group=profile,... binds SSO groups to Hermes profiles; profile * allows any.' },
  hermesHome: { kind: 'string', flag: 'hermes-home', env: ['HERMES_HOME'], arg: 'DIR', help: 'Hermes home directory (default ~/.hermes).' },
  webDist: { kind: 'string', flag: 'web-dist', env: ['HERMES_WEB_DIST'], yaml: 'web_dist', arg: 'DIR', help: 'Built front end to serve (default: the dashboard\'s own page).' },
  hermesCommand: { kind: 'string', flag: 'hermes-command', env: ['HERMES_DASHBOARD_HERMES_COMMAND'], yaml: 'hermes_command', arg: 'CMD', help: 'Command for actions such as update and gateway restart (default "hermes").' },
  chatCommand: { kind: 'string', flag: 'chat-command', env: ['HERMES_DASHBOARD_CHAT_COMMAND'], yaml: 'chat_command', arg: 'CMD', help: 'Command run in the Chat terminal (default "hermes --tui").' },
  gatewayCommand: { kind: 'string', flag: 'gateway-command', env: ['HERMES_DASHBOARD_GATEWAY_COMMAND'], yaml: 'gateway_command', arg: 'CMD', help: 'JSON-RPC gateway bridged on /api/ws (default "python3 -m tui_gateway.entry", on the Python the hermes script names).' },
  noOpen: { kind: 'boolean', flag: 'no-open', env: ['HERMES_DASHBOARD_NO_OPEN'], yaml: 'no_open', help: 'Do not open a browser at start-up.' },
  connectionTimeout: { kind: 'string', flag: 'connection-timeout', env: ['HERMES_DASHBOARD_CONNECTION_TIMEOUT'], yaml: 'connection_timeout', arg: 'SECONDS', help: 'Close a connection idle this long with no request in progress (default 75); WebSockets are never timed out.' },
  requestTimeout: { kind: 'string', flag: 'request-timeout', env: ['HERMES_DASHBOARD_REQUEST_TIMEOUT'], yaml: 'request_timeout', arg: 'SECONDS', help: 'Longest time a client may take to send a whole request, headers and body (default 300).' },
  maxChats: { kind: 'string', flag: 'max-chats', env: ['HERMES_DASHBOARD_MAX_CHATS'], yaml: 'max_chats', arg: 'N', help: 'Per-tab chats (/api/pty without attach) running at once (default 32); kept-alive chats have their own 16.' },
  maxGateways: { kind: 'string', flag: 'max-gateways', env: ['HERMES_DASHBOARD_MAX_GATEWAYS'], yaml: 'max_gateways', arg: 'N', help: '/api/ws gateway processes running at once (default 32).' },
  hermesBackend: { kind: 'string', flag: 'hermes-backend', env: ['HERMES_DASHBOARD_BACKEND'], yaml: 'hermes_backend', arg: 'auto|off|URL', help: 'Hermes\' own server behind this one, for the routes it does not answer itself: auto (start it; default when Hermes is installed), off, or the loopback URL of one already running.' },
  backendToken: { kind: 'string', flag: 'backend-token', env: ['HERMES_DASHBOARD_BACKEND_TOKEN'], arg: 'TOKEN', help: 'Session token of the Hermes server given by --hermes-backend URL (default: read from its page). Prefer the variable.' },
  backendTimeout: { kind: 'string', flag: 'backend-timeout', env: ['HERMES_DASHBOARD_BACKEND_TIMEOUT'], yaml: 'backend_timeout', arg: 'SECONDS', help: 'Longest wait for Hermes\' server to start answering a forwarded request, and between its bytes (default 120).' },
  logoutUrl: { kind: 'string', flag: 'logout-url', env: ['HERMES_DASHBOARD_LOGOUT_URL'], yaml: 'logout_url', arg: 'URL', help: 'Where signing out sends an SSO user (the proxy\'s logout, e.g. https://auth.example.com/logout); shown by /api/auth/me.' },
  logFormat: { kind: 'string', flag: 'log-format', env: ['HERMES_DASHBOARD_LOG_FORMAT'], yaml: 'log_format', arg: 'FORMAT', help: 'pretty (readable lines) | json (one JSON object per line) | auto (default: pretty on a terminal, else json).' },
  logLevel: { kind: 'string', flag: 'log-level', env: ['HERMES_DASHBOARD_LOG_LEVEL'], yaml: 'log_level', arg: 'LEVEL', help: 'fatal | error | warn | info | debug | trace | silent (default info).' },
} as const satisfies Record<string, OptionSpec>

export type OptionKey = keyof typeof OPTIONS
export const OPTION_KEYS = Object.keys(OPTIONS) as OptionKey[]

/** A value as read from one source, before validation, with a label naming where it came from. */
export interface RawValue {
  readonly value: string | boolean | readonly string[]
  /** `--port`, `HERMES_DASHBOARD_PORT`, `config.yaml dashboard.port` or `option port`. */
  readonly source: string
}

export type RawOptions = Partial<Record<OptionKey, RawValue>>

export function helpText (): string {
  const rows = OPTION_KEYS.map((key) => {
    const spec: OptionSpec = OPTIONS[key]
    const left = `  --${spec.flag}${spec.arg === undefined ? '' : ' ' + spec.arg}`
    const env = spec.env === undefined ? '' : `\n${' '.repeat(28)}env ${spec.env.join(', ')}`
    return `${left.padEnd(28)}${spec.help}${env}`
  })
  return [
    'Usage: hermes-dashboard [options]',
    '',
    'Serves the Hermes Agent dashboard, with one trust policy for REST and WebSockets.',
    'Options also come from HERMES_DASHBOARD_* variables and the dashboard: section of',
    '$HERMES_HOME/config.yaml (command line first, then environment, then the file).',
    '',
    ...rows,
    '  --help                    Show this help.',
    '  --version                 Show the version.',
    '',
  ].join('\n')
}
