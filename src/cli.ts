// src/cli.ts
// The command line: a thin shell over createDashboard. The only file that exits the process.
// Bundled with its dependencies into dist/hermes-dashboard.bundle.cjs, which the launcher runs
// (src/launcher.ts).

import { spawn } from 'node:child_process'
import { channel } from 'node:diagnostics_channel'
import { existsSync } from 'node:fs'
import { hostname, networkInterfaces } from 'node:os'
import { parseArgs } from 'node:util'
import { ConfigError, isLoopbackHostName, loadConfig, type Config } from './config/load.js'
import { helpText } from './config/options.js'
import { readArgv, SourceError } from './config/sources.js'
import { ignoredVariables } from './config/ignored-env.js'
import { urlsToOpen } from './config/urls-to-open.js'
import { DOCTOR_OPTIONS } from './doctor/options.js'
import { openHermesHome } from './hermes/home.js'
import { createReadWorker, largeStateDb } from './hermes/read-worker.js'
import { LISTENING_CHANNEL } from './listening-channel.js'
import { STATE_WORKER_FILE } from './package-files.js'

function fail (message: string, code: number): never {
  process.stderr.write(`hermes-dashboard: ${message}\n`)
  process.exit(code)
}

function openBrowser (url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  if (process.platform === 'linux' && process.env.DISPLAY === undefined && process.env.WAYLAND_DISPLAY === undefined) return
  const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' })
  child.on('error', () => {})
  child.unref()
}

function warnings (config: Config, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = []
  if (!openHermesHome(config.hermesHome).exists()) {
    out.push(`note: Hermes home ${config.hermesHome} does not exist (yet): pages stay empty until Hermes creates it. Set HERMES_HOME or --hermes-home if Hermes keeps its data elsewhere.`)
  }
  for (const line of ignoredVariables(env)) out.push(`note: ignored ${line}.`)
  if (config.trust === 'insecure' && /^(1|true|yes)$/i.test(env.HERMES_DASHBOARD_INSECURE ?? '')) {
    out.push('note: HERMES_DASHBOARD_INSECURE is honoured here (Hermes\' own server ignores it since June 2026): remove it unless you mean it.')
  }
  if (config.trust === 'insecure') {
    out.push('WARNING: --trust insecure: anyone who can reach this port gets a shell through the dashboard\'s Chat, with no credential.',
      '         Host and Origin checks still hold. Keep the port private (bind 127.0.0.1, or put an authenticating proxy in front).')
  }
  if (config.trust === 'loopback' && !isLoopbackHostName(config.host)) {
    out.push(`note: loopback mode on ${config.host}: only connections from this host are admitted (a proxy elsewhere needs --trust proxy --trusted-proxies).`)
  }
  return out
}

const DOCTOR_HELP = `Usage: hermes-dashboard doctor URL [--token T] [--user NAME:PASSWORD] [--header 'NAME: VALUE']... [--insecure-tls] [--timeout SECONDS]

Asks the dashboard at URL, through whatever proxy is in front of it, what the page asks (the page,
/api/status, the token into the cookie, the three WebSockets) and what the dashboard saw
(/api/trust/explain), and says what to change. Run it where the browser runs, with the URL the
browser uses. Exit status 0 when every check passed, 1 otherwise.

  --token T          the session token (default: HERMES_DASHBOARD_SESSION_TOKEN)
  --user NAME:PASS   Basic auth for a proxy that asks for it
  --header 'N: V'    a header for every request, repeatable: an SSO proxy's session cookie
                     (--header 'Cookie: authelia_session=…', from the browser), an access token
  --insecure-tls     accept a certificate that does not verify (a self-signed one)
  --timeout SECONDS  per request (default 10)
`

/** `hermes-dashboard doctor …`: loaded only when asked, so the server's start-up never pays for it. */
async function doctorCommand (args: string[]): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: DOCTOR_OPTIONS,
    })
  } catch (err) {
    fail(`doctor: ${(err as Error).message}\n${DOCTOR_HELP}`, 2)
  }
  const { values, positionals } = parsed
  if (values.help === true) {
    process.stdout.write(DOCTOR_HELP)
    return
  }
  const target = positionals[0]
  if (positionals.length !== 1 || target === undefined || !URL.canParse(target) || !/^https?:$/.test(new URL(target).protocol)) fail(`doctor: give the dashboard's URL, as the browser uses it (http://… or https://…)\n${DOCTOR_HELP}`, 2)
  const timeout = values.timeout === undefined ? 10 : Number(values.timeout)
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 600) fail('doctor: --timeout takes seconds, 0 < s ≤ 600', 2)
  const headers: Record<string, string> = {}
  for (const h of values.header ?? []) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(h)
    if (m === null) fail(`doctor: --header takes 'Name: value', not ${JSON.stringify(h.slice(0, 40))}`, 2)
    const name = (m[1] as string).toLowerCase()
    headers[name] = name === 'cookie' && headers.cookie !== undefined ? `${headers.cookie}; ${m[2] as string}` : m[2] as string
  }
  const token = values.token ?? process.env.HERMES_DASHBOARD_SESSION_TOKEN ?? ''
  const { doctor } = await import('./doctor/probe.js')
  const result = await doctor({ url: target, token: token === '' ? null : token, user: values.user ?? null, headers, insecureTls: values['insecure-tls'] === true, timeoutMs: timeout * 1000 })
  process.stdout.write(result.text)
  process.exitCode = result.ok ? 0 : 1
}

async function main (): Promise<void> {
  if (process.argv[2] === 'doctor') {
    await doctorCommand(process.argv.slice(3))
    return
  }
  let argv
  try {
    argv = readArgv(process.argv.slice(2))
  } catch (err) {
    if (err instanceof SourceError) fail(`${err.message}\n(see --help)`, 2)
    throw err
  }
  if (argv.help) {
    process.stdout.write(helpText())
    return
  }
  if (argv.version) {
    process.stdout.write(`hermes-dashboard ${(await import('./app.js')).VERSION}\n`)
    return
  }
  let config: Config
  try {
    config = loadConfig({ argv: process.argv.slice(2), env: process.env })
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2)
    throw err
  }
  for (const line of warnings(config, process.env)) process.stderr.write(`${line}\n`)

  // On a large home the read worker starts first, so its scan of every message (what Analytics'
  // first answer needs) runs on another core while the server's modules load, most of start-up.
  const large = largeStateDb(openHermesHome(config.hermesHome).profile('default'))
  const readWorker = large === null ? undefined : createReadWorker(STATE_WORKER_FILE)
  readWorker?.warm(large)
  const { createDashboard } = await import('./app.js')
  const app = await createDashboard({}, { config, env: process.env, ...(readWorker === undefined ? {} : { readWorker }) })
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    fail(e.code === 'EADDRINUSE' ? `port ${config.port} on ${config.host} is in use (try --port 0 for any free port)` : e.message, 1)
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  // In a container its own name and addresses are not what people open (the published port is).
  const container = existsSync('/.dockerenv') || existsSync('/run/.containerenv')
  const urls = urlsToOpen({ host: config.host, port, token: config.trust === 'token' ? config.token : null, network: config.trust !== 'loopback' && !container, interfaces: networkInterfaces(), hostname: hostname() })
  // This host's own URL is the one to open here; the network's come first for the people elsewhere.
  const withToken = urls[urls.length - 1] as string
  // One write: the log's own lines (Fastify's "Server listening", one per address, some logged
  // after listen() has resolved) then land before or after the banner, never inside it.
  const banner = urls.map((u, i) => `  ${i === 0 ? 'Hermes dashboard' : ' '.repeat(16)} → ${u}${i === urls.length - 1 && urls.length > 1 ? '  (this host)' : ''}`)
  if (container) banner.push('  (in a container: open the host port this one is published on)')
  if (config.publicUrl !== null) banner.push(`  Public URL       → ${config.publicUrl}/`)
  banner.push(`  Trust mode: ${config.trust}; Hermes home: ${config.hermesHome}`, `HERMES_DASHBOARD_READY port=${port}`)
  process.stdout.write(`${banner.join('\n')}\n`)
  channel(LISTENING_CHANNEL).publish({ port })
  if (config.open) openBrowser(withToken)

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    app.close().then(() => process.exit(0), () => process.exit(1))
    setTimeout(() => process.exit(1), 5000).unref()
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

main().catch((err: unknown) => fail(err instanceof Error ? err.stack ?? err.message : String(err), 1))
