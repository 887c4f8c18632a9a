#!/usr/bin/env node
// src/cli.ts
// The command line: a thin shell over createDashboard. The only file that exits the process.

import { spawn } from 'node:child_process'
import { createDashboard, VERSION } from './app.js'
import { ConfigError, isLoopbackHostName, isWildcardHost, loadConfig, type Config } from './config/load.js'
import { helpText } from './config/options.js'
import { readArgv, SourceError } from './config/sources.js'

function fail (message: string, code: number): never {
  process.stderr.write(`hermes-dashboard: ${message}\n`)
  process.exit(code)
}

function urlHost (host: string): string {
  const h = isWildcardHost(host) ? '127.0.0.1' : host
  return h.includes(':') ? `[${h}]` : h
}

function openBrowser (url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  if (process.platform === 'linux' && process.env.DISPLAY === undefined && process.env.WAYLAND_DISPLAY === undefined) return
  const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' })
  child.on('error', () => {})
  child.unref()
}

function warnings (config: Config): string[] {
  const out: string[] = []
  if (config.trust === 'insecure') {
    out.push('WARNING: --trust insecure: anyone who can reach this port gets a shell through the dashboard\'s Chat, with no credential.',
      '         Host and Origin checks still hold. Keep the port private (bind 127.0.0.1, or put an authenticating proxy in front).')
  }
  if (config.trust === 'loopback' && !isLoopbackHostName(config.host)) {
    out.push(`note: loopback mode on ${config.host}: only connections from this host are admitted (a proxy elsewhere needs --trust proxy --trusted-proxies).`)
  }
  return out
}

async function main (): Promise<void> {
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
    process.stdout.write(`hermes-dashboard ${VERSION}\n`)
    return
  }
  let config: Config
  try {
    config = loadConfig({ argv: process.argv.slice(2), env: process.env })
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2)
    throw err
  }
  for (const line of warnings(config)) process.stderr.write(`${line}\n`)

  const app = await createDashboard({}, { config, env: process.env })
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    fail(e.code === 'EADDRINUSE' ? `port ${config.port} on ${config.host} is in use (try --port 0 for any free port)` : e.message, 1)
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const local = `http://${urlHost(config.host)}:${port}/`
  const withToken = config.trust === 'token' ? `${local}?token=${encodeURIComponent(config.token)}` : local
  process.stdout.write(`  Hermes dashboard → ${withToken}\n`)
  if (config.publicUrl !== null) process.stdout.write(`  Public URL       → ${config.publicUrl}/\n`)
  process.stdout.write(`  Trust mode: ${config.trust}; Hermes home: ${config.hermesHome}\n`)
  process.stdout.write(`HERMES_DASHBOARD_READY port=${port}\n`)
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
