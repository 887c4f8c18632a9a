// test/helpers/nginx.ts
// A real nginx in front of the dashboard, for one test: the site configuration comes from the
// templates below (the same text docs/proxy-snippets.md shows, rendered there with example values),
// wrapped in a private main configuration whose every path is in a temporary directory. Optionally
// started inside a test network namespace. Readiness is polled on the listening port (bounded), and
// nginx is stopped (SIGTERM, fast shutdown: upgraded WebSocket connections would hold up SIGQUIT)
// and its directory removed at teardown.

import { execFileSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startDaemon } from './proc.js'
import { createSelfSignedCert, TLS_NAME } from './tls.js'

// ─── site templates (what a user puts in /etc/nginx/conf.d/hermes-dashboard.conf) ───

/** Chooses the Connection header for the upstream: `upgrade` for WebSocket handshakes, `close` otherwise. */
const WEBSOCKET_MAP = `map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}`

function location (upstream: string, hostHeader: string, path = '/', extra = ''): string {
  // With a path on proxy_pass (the trailing slash), nginx strips the location's prefix.
  const target = path === '/' ? `http://${upstream}` : `http://${upstream}/`
  return `    location ${path} {
        proxy_pass ${target};
        proxy_http_version 1.1;

        proxy_set_header Host ${hostHeader};
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $http_host;
${extra}
        # WebSockets: /api/pty, /api/ws, /api/events, /api/pub
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_read_timeout 1d;
        proxy_send_timeout 1d;
        proxy_buffering off;
    }`
}

export interface NginxProxyParams {
  /** Argument of `listen`: `8080`, `127.0.0.1:8080`, `10.0.0.2:80`. */
  readonly listen: string
  /** Where the dashboard listens: `127.0.0.1:9119`. */
  readonly upstream: string
  /**
   * Host header sent to the dashboard. Default `$http_host`: the name and port the browser used, so
   * the dashboard's Host check (DNS rebinding) still sees it. A fixed value such as `127.0.0.1:9119`
   * also works, but then only a trusted X-Forwarded-Host carries the browser's name.
   */
  readonly hostHeader?: string
}

/** Plain-HTTP reverse proxy: nginx on the dashboard's host, or on another host (`--trust proxy`). */
export function nginxProxySite (p: NginxProxyParams): string {
  return `${WEBSOCKET_MAP}

server {
    listen ${p.listen};

${location(p.upstream, p.hostHeader ?? '$http_host')}
}
`
}

export interface NginxTlsBasicParams {
  readonly listen: string
  readonly serverName: string
  readonly upstream: string
  readonly certificate: string
  readonly certificateKey: string
  /** htpasswd file (`user:$apr1$...` lines, from `openssl passwd -apr1` or `htpasswd`). */
  readonly htpasswd: string
}

/** TLS and HTTP Basic auth in nginx; the dashboard still wants its own session token. */
export function nginxTlsBasicSite (p: NginxTlsBasicParams): string {
  return `${WEBSOCKET_MAP}

server {
    listen ${p.listen} ssl;
    server_name ${p.serverName};

    ssl_certificate     ${p.certificate};
    ssl_certificate_key ${p.certificateKey};

    # Basic auth is nginx's: the Authorization header is passed on, and the dashboard ignores
    # "Authorization: Basic" (it never takes it for its session token).
    auth_basic           "Hermes dashboard";
    auth_basic_user_file ${p.htpasswd};

${location(p.upstream, '$http_host')}
}
`
}

export interface NginxSubPathParams {
  readonly listen: string
  readonly upstream: string
  /** The path the dashboard is served under, without a trailing slash: `/hermes`. */
  readonly prefix: string
}

/**
 * The dashboard under a sub-path of a site that serves other things too. nginx strips the prefix and
 * names it in X-Forwarded-Prefix; the dashboard (with --trusted-proxies set to nginx) then writes
 * every URL of its page, assets and sockets under it.
 */
export function nginxSubPathSite (p: NginxSubPathParams): string {
  return `${WEBSOCKET_MAP}

server {
    listen ${p.listen};

    location = ${p.prefix} {
        return 301 ${p.prefix}/;
    }

${location(p.upstream, '$http_host', `${p.prefix}/`, `        proxy_set_header X-Forwarded-Prefix ${p.prefix};\n`)}
}
`
}

export interface NginxForwardAuthParams {
  readonly listen: string
  readonly upstream: string
  /** The SSO server's verify endpoint, as nginx reaches it: `http://127.0.0.1:9091/api/authz/auth-request`. */
  readonly verify: string
}

/**
 * SSO in front of the dashboard, the way Authelia's and authentik's nginx guides do it: every
 * request (WebSocket handshakes included) is first checked with the SSO server by auth_request, and
 * the user and groups it answers with are set as Remote-User and Remote-Groups. proxy_set_header
 * replaces whatever the browser sent under those names, and nginx drops header names with
 * underscores, so only the SSO server's answer reaches the dashboard.
 */
export function nginxForwardAuthSite (p: NginxForwardAuthParams): string {
  return `${WEBSOCKET_MAP}

server {
    listen ${p.listen};

    location = /internal/sso-verify {
        internal;
        proxy_pass ${p.verify};
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header X-Original-Method $request_method;
        proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }

${location(p.upstream, '$http_host', '/', `        auth_request /internal/sso-verify;
        auth_request_set $sso_user $upstream_http_remote_user;
        auth_request_set $sso_groups $upstream_http_remote_groups;
        proxy_set_header Remote-User $sso_user;
        proxy_set_header Remote-Groups $sso_groups;
`)}
}
`
}

/** The example values docs/proxy-snippets.md renders the templates with. */
export const NGINX_DOC_EXAMPLES = {
  sameHost: nginxProxySite({ listen: '80', upstream: '127.0.0.1:9119' }),
  otherHost: nginxProxySite({ listen: '80', upstream: '10.0.0.5:9119' }),
  subPath: nginxSubPathSite({ listen: '80', upstream: '127.0.0.1:9119', prefix: '/hermes' }),
  forwardAuth: nginxForwardAuthSite({ listen: '80', upstream: '127.0.0.1:9119', verify: 'http://127.0.0.1:9091/api/authz/auth-request' }),
  tlsBasic: nginxTlsBasicSite({
    listen: '443',
    serverName: 'dash.example.test',
    upstream: '127.0.0.1:9119',
    certificate: '/etc/nginx/tls/dash.example.test.crt',
    certificateKey: '/etc/nginx/tls/dash.example.test.key',
    htpasswd: '/etc/nginx/hermes-dashboard.htpasswd',
  }),
} as const

// ─── running it ───

/** The private main configuration: everything nginx writes goes under `dir`. */
export function nginxMainConfig (dir: string, siteFile: string): string {
  const user = process.getuid?.() === 0 ? 'user root;\n' : ''
  return `# Generated by test/helpers/nginx.ts for one test.
${user}worker_processes 1;
error_log ${dir}/error.log info;

events {
    worker_connections 256;
}

http {
    access_log off;
    client_body_temp_path ${dir}/tmp/client_body;
    proxy_temp_path       ${dir}/tmp/proxy;
    fastcgi_temp_path     ${dir}/tmp/fastcgi;
    uwsgi_temp_path       ${dir}/tmp/uwsgi;
    scgi_temp_path        ${dir}/tmp/scgi;

    include ${siteFile};
}
`
}

export interface NginxOptions {
  /** The site configuration (from a template above). */
  readonly site: string
  /** Where the site listens, for the readiness poll (from this process's namespace). */
  readonly host: string
  readonly port: number
  /** Run inside this network namespace (`ip netns exec`). */
  readonly netns?: string
}

export interface RunningNginx {
  readonly dir: string
  readonly child: ChildProcess
  readonly site: string
  errorLog (): string
  stop (): Promise<string>
}

interface Teardown { teardown (fn: () => unknown): void }

/** Writes `user:$apr1$...` (via `openssl passwd -apr1`) into `dir`; returns the file's path. */
export function writeHtpasswd (dir: string, user: string, password: string): string {
  const hash = execFileSync('openssl', ['passwd', '-apr1', '-stdin'], { input: `${password}\n`, encoding: 'utf8' }).trim()
  const file = join(dir, 'htpasswd')
  writeFileSync(file, `${user}:${hash}\n`, { mode: 0o600 })
  return file
}

export async function startNginx (t: Teardown, opts: NginxOptions): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'hd-nginx-'))
  mkdirSync(join(dir, 'tmp'))
  const siteFile = join(dir, 'site.conf')
  writeFileSync(siteFile, opts.site)
  writeFileSync(join(dir, 'nginx.conf'), nginxMainConfig(dir, siteFile))
  const argv = ['nginx', '-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`, '-g', `daemon off; pid ${dir}/nginx.pid;`]
  const full = opts.netns === undefined ? argv : ['ip', 'netns', 'exec', opts.netns, ...argv]
  const errorLog = (): string => {
    try { return readFileSync(join(dir, 'error.log'), 'utf8') } catch { return '' }
  }
  const daemon = await startDaemon(t, full, {}, { dir, host: opts.host, port: opts.port, diagnostics: errorLog })
  return { dir, child: daemon.child, site: opts.site, errorLog, stop: daemon.stop }
}

/**
 * nginx with TLS (a fresh self-signed certificate for TLS_NAME) and Basic auth (one user) on
 * 127.0.0.1, in front of the dashboard on `upstreamPort`. Returns the port nginx listens on.
 */
export async function startTlsBasicNginx (t: Teardown, upstreamPort: number, user: string, password: string): Promise<number> {
  const cert = createSelfSignedCert(t)
  const htpasswd = writeHtpasswd(cert.dir, user, password)
  const port = await freePort()
  await startNginx(t, {
    site: nginxTlsBasicSite({ listen: `127.0.0.1:${port}`, serverName: TLS_NAME, upstream: `127.0.0.1:${upstreamPort}`, certificate: cert.cert, certificateKey: cert.key, htpasswd }),
    host: '127.0.0.1',
    port,
  })
  return port
}
