// test/helpers/server.ts
// Starts the dashboard for a test: in this process on a real socket (createDashboard + listen), or
// as the real command line in a child process. Both are closed by the test's teardown.

import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { FastifyInstance } from 'fastify'
import { createDashboard, type CreateOptions, type DashboardOptions } from '../../src/app.js'
import { randomUUID } from 'node:crypto'
import { createFixtureHome, type HomeOptions } from './home.js'
import { CLI, FIXTURES } from './paths.js'

export const TEST_TOKEN = 'test-token-0123456789abcdefghijklmnop'
export const HERMES_FIXTURE = `${process.execPath} ${FIXTURES}/hermes.mjs`

export interface Running {
  readonly app: FastifyInstance
  readonly port: number
  /** http://<host>:<port> for a client on this host. */
  readonly url: string
  readonly token: string
  close (): Promise<void>
}

interface Teardown { teardown (fn: () => unknown): void }

/** The dashboard in this process, listening on a real socket. */
export async function startServer (t: Teardown, options: DashboardOptions & { hermesHome: string }, env: Record<string, string> = {}, create: Omit<CreateOptions, 'env'> = {}): Promise<Running> {
  // No backend unless a test asks for one: the fixture `hermes` can run one, and most tests need none.
  const app = await createDashboard({ token: TEST_TOKEN, hermesCommand: HERMES_FIXTURE, hermesBackend: 'off', logLevel: 'warn', noOpen: true, port: 0, ...options }, { env, ...create })
  const host = typeof options.host === 'string' ? options.host : '127.0.0.1'
  // A given port is for a test that restarts the dashboard where a page already points.
  await app.listen({ host, port: typeof options.port === 'number' ? options.port : 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  const shown = host === '::' || host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  const running: Running = { app, port: address.port, url: `http://${shown}:${address.port}`, token: typeof options.token === 'string' ? options.token : TEST_TOKEN, close: () => app.close() }
  t.teardown(() => app.close())
  return running
}

export interface CliRun {
  readonly child: ChildProcess
  readonly port: number
  readonly stdout: () => string
  readonly stderr: () => string
  stop (): Promise<number | null>
}

/** The command line in a child process; resolves once it printed HERMES_DASHBOARD_READY. */
export function startCli (t: Teardown, args: readonly string[], env: Record<string, string | undefined> = {}, wrap: readonly string[] = []): Promise<CliRun> {
  return startProgram(t, [...wrap, process.execPath, CLI, ...args], env)
}

/** Any command that prints HERMES_DASHBOARD_READY (an installed `hermes-dashboard`, a container). */
export function startProgram (t: Teardown, argv: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const child = spawn(argv[0] as string, argv.slice(1), { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr?.on('data', (c: Buffer) => { err += c.toString() })
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    child.kill('SIGTERM')
    return await new Promise((resolve) => child.once('exit', (code) => resolve(code)))
  }
  t.teardown(stop)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY line within 15 s\nstdout: ${out}\nstderr: ${err}`)), 15_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      out += line + '\n'
      const m = /^HERMES_DASHBOARD_READY port=(\d+)$/.exec(line)
      if (m !== null) {
        clearTimeout(timer)
        resolve({ child, port: Number(m[1]), stdout: () => out, stderr: () => err, stop })
      }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code} before READY\nstdout: ${out}\nstderr: ${err}`)) })
  })
}

/** Runs the command line to completion (for argument errors). */
export function runCli (args: readonly string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

/** The fixture chat program (test/fixtures/chat.mjs) as a --chat-command; `marker` tags its processes. */
export function chatFixture (marker: string): string {
  return `${process.execPath} ${FIXTURES}/chat.mjs --marker=${marker}`
}

/** The fixture JSON-RPC gateway (test/fixtures/gateway.mjs) as a --gateway-command. */
export function gatewayFixture (marker: string): string {
  return `${process.execPath} ${FIXTURES}/gateway.mjs --marker=${marker}`
}

export interface ChatServer {
  readonly server: Running
  /** Tags the fixture chat's and gateway's processes (processesWith). */
  readonly marker: string
  /** The fixture HERMES_HOME. */
  readonly home: string
}

/** The dashboard on a fixture home, with the fixture chat and gateway as its programs. */
export async function startChatServer (t: Teardown, options: DashboardOptions = {}, home: HomeOptions = {}): Promise<ChatServer> {
  const marker = randomUUID()
  const fixture = createFixtureHome(home)
  t.teardown(fixture.remove)
  const server = await startServer(t, { chatCommand: chatFixture(marker), gatewayCommand: gatewayFixture(marker), ...options, hermesHome: fixture.dir })
  return { server, marker, home: fixture.dir }
}
