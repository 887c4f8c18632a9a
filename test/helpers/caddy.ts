// test/helpers/caddy.ts
// A real Caddy in front of the dashboard, for one test: the Caddyfile comes from the template below
// (the same text docs/proxy-snippets.md shows, rendered there with example values). The admin API is
// off, and Caddy's data, config and home directories are a temporary directory. Readiness is polled
// on the site's port (bounded); Caddy is stopped (SIGTERM) and its directory removed at teardown.

import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDaemon } from './proc.js'

export interface CaddyProxyParams {
  /** Site address, scheme and port included: `http://dash.example.test:8080`. */
  readonly site: string
  /** Local address to listen on: `127.0.0.1`. */
  readonly bind: string
  /** Where the dashboard listens: `127.0.0.1:9119`. */
  readonly upstream: string
}

/**
 * Caddy on the dashboard's host, plain HTTP. reverse_proxy keeps the Host header, sets X-Forwarded-For,
 * X-Forwarded-Proto and X-Forwarded-Host itself, and proxies WebSockets without extra settings.
 */
export function caddyProxyConfig (p: CaddyProxyParams): string {
  return `{
	admin off
	auto_https off
}

${p.site} {
	bind ${p.bind}
	reverse_proxy ${p.upstream}
}
`
}

export const CADDY_DOC_EXAMPLE = caddyProxyConfig({ site: 'http://dash.example.test:8080', bind: '127.0.0.1', upstream: '127.0.0.1:9119' })

export interface CaddyOptions {
  readonly caddyfile: string
  readonly host: string
  readonly port: number
}

export interface RunningCaddy {
  readonly dir: string
  readonly child: ChildProcess
  output (): string
  stop (): Promise<string>
}

interface Teardown { teardown (fn: () => unknown): void }

export async function startCaddy (t: Teardown, opts: CaddyOptions): Promise<RunningCaddy> {
  const dir = mkdtempSync(join(tmpdir(), 'hd-caddy-'))
  const file = join(dir, 'Caddyfile')
  writeFileSync(file, opts.caddyfile)
  const daemon = await startDaemon(t, ['caddy', 'run', '--config', file, '--adapter', 'caddyfile'], {
    env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
    cwd: dir,
  }, { dir, host: opts.host, port: opts.port })
  return { dir, ...daemon }
}
