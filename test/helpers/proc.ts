// test/helpers/proc.ts
// Small process and port utilities for the proxy helpers (nginx.ts, caddy.ts): a free port, waiting
// for a port to accept connections (bounded attempts, never a fixed sleep), and stopping a child.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { rmSync } from 'node:fs'
import net from 'node:net'

/** A port that was free on `host` a moment ago (the kernel picked it). */
export function freePort (host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'))
        else resolve(address.port)
      })
    })
  })
}

function connectOnce (host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export interface WaitOptions {
  readonly attempts?: number
  /** Pause between attempts (the poll interval, not a sleep standing in for readiness). */
  readonly intervalMs?: number
  /** Stops early when the program died: returns a description of why. */
  readonly dead?: () => string | null
}

/** Polls host:port until it accepts a TCP connection; throws after `attempts` tries or if `dead()` says so. */
export async function waitForPort (host: string, port: number, opts: WaitOptions = {}): Promise<void> {
  const attempts = opts.attempts ?? 100
  const interval = opts.intervalMs ?? 50
  for (let i = 0; i < attempts; i++) {
    const why = opts.dead?.() ?? null
    if (why !== null) throw new Error(why)
    if (await connectOnce(host, port, 1000)) return
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
  const why = opts.dead?.() ?? null
  throw new Error(`${host}:${port} did not accept a connection after ${attempts} attempts${why === null ? '' : `: ${why}`}`)
}

export function exited (child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

/** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILL. Resolves with how it ended. */
export async function stopChild (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<string> {
  if (exited(child)) return `already exited (${child.exitCode ?? child.signalCode})`
  const gone = new Promise<string>((resolve) => child.once('exit', (code, sig) => resolve(`exited (${code ?? sig})`)))
  child.kill(signal)
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), graceMs) })
  const first = await Promise.race([gone, late])
  clearTimeout(timer)
  if (first !== null) return first
  child.kill('SIGKILL')
  return `killed after ${graceMs} ms: ${await gone}`
}

export interface Daemon {
  readonly child: ChildProcess
  /** What it printed on stdout and stderr. */
  output (): string
  stop (): Promise<string>
}

export interface DaemonOptions {
  /** Its temporary directory, removed at teardown. */
  readonly dir: string
  readonly host: string
  readonly port: number
  /** More to say when it dies before listening (an error log). */
  readonly diagnostics?: () => string
}

/** Starts a server program (nginx, caddy), waits until its port accepts, and stops it at teardown. */
export async function startDaemon (t: { teardown (fn: () => unknown): void }, argv: readonly string[], spawnOptions: SpawnOptions, opts: DaemonOptions): Promise<Daemon> {
  const child = spawn(argv[0] as string, argv.slice(1), { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { out += c.toString() })
  const stop = (): Promise<string> => stopChild(child, 'SIGTERM')
  t.teardown(async () => {
    await stop()
    rmSync(opts.dir, { recursive: true, force: true })
  })
  await waitForPort(opts.host, opts.port, {
    attempts: 100,
    intervalMs: 50,
    dead: () => exited(child) ? `${argv[0] ?? '?'} exited (${child.exitCode ?? child.signalCode}) before listening\n${out}${opts.diagnostics?.() ?? ''}` : null,
  })
  return { child, output: () => out, stop }
}
