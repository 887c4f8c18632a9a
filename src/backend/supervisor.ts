// src/backend/supervisor.ts
// Hermes' own server as a private backend: started by us on 127.0.0.1 with a fresh token, health
// checked, restarted with backoff when it dies, stopped with us (its whole process group). Or, with
// --hermes-backend URL, one that already runs on loopback, health checked the same way.
// - `hermes serve` (the headless server of later Hermes) is tried first; a Hermes that refuses it
//   as a usage error (v0.13) gets `hermes dashboard --no-open` instead, without --tui, so its own
//   embedded chat stays off: /api/pty is ours.
// - The token is handed over in HERMES_DASHBOARD_SESSION_TOKEN; a Hermes that ignores it (v0.13)
//   shows its own in the page it serves (window.__HERMES_SESSION_TOKEN__), which is read once it is
//   up. A dashboard-mode Hermes gets a stub front end (HERMES_WEB_DIST) so it never builds its own.
// - A Hermes without per-request profiles (the `dashboard` kind) is run once per profile
//   (`hermes -p <name> dashboard`), started when a request for that profile first arrives.
// - Its output goes to HERMES_HOME/logs/dashboard-backend[-<profile>].log, through the home door.

import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DashboardError } from '../errors.js'
import type { HermesHome } from '../hermes/home.js'
import { childEnv } from '../processes/env.js'
import { endProcessGroup } from '../processes/group.js'

/** Where a forwarded request goes. */
export interface BackendTarget {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** The Host header the backend accepts (`127.0.0.1:<port>`). */
  readonly host: string
  readonly token: string
  /** The backend serves every profile by `?profile=`; else this target is one profile's own server. */
  readonly profileAware: boolean
}

export type BackendState = 'off' | 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped'

export interface InstanceStatus {
  readonly profile: string
  readonly state: BackendState
  readonly pid: number | null
  readonly url: string | null
  readonly command: string | null
  readonly version: string | null
  readonly restarts: number
  readonly last_error: string | null
  readonly ready_since: string | null
  /** Times its token was read anew because the server had changed it (a server we did not start, restarted). */
  readonly token_changes: number
}

export interface BackendStatus {
  readonly mode: 'auto' | 'off' | 'url'
  readonly state: BackendState
  readonly kind: 'serve' | 'dashboard' | 'url' | null
  readonly instances: readonly InstanceStatus[]
}

export interface Backend {
  status (): BackendStatus
  /** The default server's last /api/status answer (its health checks read it), or null. */
  lastStatus (): Record<string, unknown> | null
  /** The backend for `profile`, once it is ready: waits at most `waitMs`, then a DashboardError. */
  target (profile: string, waitMs: number): Promise<BackendTarget>
  /** The server at `origin` refused our token (401): read its token again now. */
  tokenRefused (origin: string): void
  /** Starts the default instance (in the background; never delays the caller). */
  start (): void
  close (): Promise<void>
}

export interface BackendOptions {
  readonly mode: 'auto' | 'off' | 'url'
  readonly url?: string
  readonly token?: string | null
  readonly home: HermesHome
  readonly hermesCommand: readonly string[]
  readonly env: Readonly<Record<string, string | undefined>>
  readonly log: (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) => void
  readonly timing?: Partial<BackendTiming>
}

export type BackendTiming = { readonly [K in keyof typeof BACKEND_DEFAULTS]: number }

const BACKEND_DEFAULTS = {
  /** How long a start may take before it counts as failed (Hermes imports a lot). */
  startMs: 90_000,
  /** Health poll while starting. */
  startPollMs: 200,
  /**
   * Health check while ready; this many misses in a row restart it. Generous: Hermes' server holds
   * its event loop for tens of seconds on some requests (its messaging platforms page), and a slow
   * server must stay slow, not be killed under the requests it is still answering.
   */
  healthMs: 15_000,
  healthMisses: 8,
  healthTimeoutMs: 10_000,
  /** Backoff after a failed start or an exit: first, doubling, at most. */
  backoffMs: 1_000,
  backoffMaxMs: 60_000,
  /** Starts that never got ready, in a row, before the state says failed (it keeps retrying). */
  failedAfter: 3,
  /** Per-profile servers (the dashboard kind) at most, besides default; the least recently used goes. */
  maxProfiles: 4,
}

export const BACKEND_TIMING: BackendTiming = Object.freeze({ ...BACKEND_DEFAULTS })

/** What a route of Hermes' own server answers when none runs behind the dashboard. */
export function backendOffError (): DashboardError {
  return new DashboardError('HD_ERR_BACKEND_OFF', 'no Hermes server runs behind this dashboard, and this route is Hermes\' own',
    'Start the dashboard where Hermes is installed (or with --hermes-command), or point --hermes-backend at a running Hermes server; docs/backend.md.')
}

const TOKEN_IN_PAGE = /window\.__HERMES_SESSION_TOKEN__\s*=\s*"([^"]{8,512})"/

/** Parses the session token out of the page a Hermes dashboard serves; null when it has none. */
export function tokenFromPage (html: string): string | null {
  return TOKEN_IN_PAGE.exec(html)?.[1] ?? null
}

/** A usage error from argparse: this Hermes has no such subcommand. */
export function refusedSubcommand (code: number | null, output: string): boolean {
  return code === 2 && /invalid choice|unrecognized arguments|usage:/i.test(output)
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function get (url: string, timeoutMs: number): Promise<{ status: number, text: string } | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' })
    return { status: res.status, text: await res.text() }
  } catch {
    return null
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve) => {
  const done = (): void => {
    clearTimeout(timer)
    signal.removeEventListener('abort', done)
    resolve()
  }
  const timer = setTimeout(done, ms)
  signal.addEventListener('abort', done, { once: true })
})

interface Waiter { resolve: (t: BackendTarget) => void }

interface Instance {
  readonly profile: string
  status (): InstanceStatus
  lastStatus (): Record<string, unknown> | null
  target (waitMs: number): Promise<BackendTarget>
  tokenRefused (origin: string): void
  lastUsed: number
  close (): Promise<void>
}

export function createBackend (opts: BackendOptions): Backend {
  const timing = { ...BACKEND_TIMING, ...opts.timing }
  let kind: 'serve' | 'dashboard' | 'url' | null = opts.mode === 'url' ? 'url' : null
  let stubDist: string | null = null
  const instances = new Map<string, Instance>()

  /** A front end of one page, so that a dashboard-kind Hermes neither builds nor serves its own. */
  const stub = (): string => {
    if (stubDist !== null) return stubDist
    stubDist = mkdtempSync(join(tmpdir(), 'hermes-dashboard-backend-web-'))
    mkdirSync(join(stubDist, 'assets'))
    writeFileSync(join(stubDist, 'index.html'), '<!doctype html><html><head><title>hermes backend</title></head><body></body></html>\n')
    return stubDist
  }

  const makeInstance = (profile: string): Instance => {
    // Aborted when this instance closes: every wait below ends at once.
    const controller = new AbortController()
    let state: BackendState = 'starting'
    let current: BackendTarget | null = null
    let child: ChildProcess | null = null
    let exited: Promise<unknown> = Promise.resolve()
    let restarts = 0
    let lastError: string | null = null
    let readySince: string | null = null
    let version: string | null = null
    let command: string | null = null
    let lastBody: Record<string, unknown> | null = null
    let tokenChanges = 0
    /** The token last used for a server the dashboard did not start. */
    let lastToken: string | null = null
    let rereading: Promise<void> | null = null
    let rereadAt = 0
    const waiters = new Set<Waiter>()
    const remember = (text: string): void => {
      try {
        const doc = JSON.parse(text) as unknown
        if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) lastBody = doc as Record<string, unknown>
      } catch {}
    }

    const becomeReady = (target: BackendTarget): void => {
      current = target
      state = 'ready'
      readySince = new Date().toISOString()
      for (const w of waiters) w.resolve(target)
      waiters.clear()
    }

    const notReady = (next: BackendState, error: string | null): void => {
      current = null
      state = next
      readySince = null
      if (error !== null) lastError = error
    }

    /** Polls /api/status until it answers 200; false when the child exits or the time is up first. */
    const untilHealthy = async (origin: string, isGone: () => boolean): Promise<boolean> => {
      const end = Date.now() + timing.startMs
      while (Date.now() < end && !isGone() && !controller.signal.aborted) {
        const r = await get(`${origin}/api/status`, timing.healthTimeoutMs)
        if (r?.status === 200) {
          remember(r.text)
          const v = lastBody?.version
          version = typeof v === 'string' ? v : null
          return true
        }
        await sleep(timing.startPollMs, controller.signal)
      }
      return false
    }

    /** The token the backend really uses: the one shown in its page, else the one we gave it. */
    const discoverToken = async (origin: string, given: string | null): Promise<string | null> => {
      const page = await get(`${origin}/`, timing.healthTimeoutMs)
      return (page?.status === 200 ? tokenFromPage(page.text) : null) ?? given
    }

    /**
     * A server the dashboard did not start can restart on its own, and one that shows its token in
     * its page (v0.13 makes a new one at every start) then wants the new one: read it again, once at
     * a time. One whose page shows no token keeps the token it was given (--backend-token).
     */
    const rereadToken = (): Promise<void> => {
      const was = current
      if (opts.mode !== 'url' || was === null) return Promise.resolve()
      if (rereading !== null) return rereading
      // At most one page read a second, however many 401s a client makes the server answer.
      if (Date.now() - rereadAt < 1000) return Promise.resolve()
      rereadAt = Date.now()
      rereading = discoverToken(was.origin, null).then((token) => {
        if (token === null || token === was.token || current !== was) return
        current = { ...was, token }
        lastToken = token
        tokenChanged(was.origin)
      }).finally(() => { rereading = null })
      return rereading
    }
    const tokenChanged = (origin: string): void => {
      tokenChanges++
      opts.log('info', { event: 'backend.token_changed', profile, origin }, 'Hermes\' own server has a new token (it restarted): the dashboard uses it from now on')
    }

    /** Health checks a ready backend until it misses too often (then it is killed) or goes away. */
    const watch = async (origin: string, isGone: () => boolean, kill: () => void): Promise<void> => {
      let misses = 0
      while (!isGone() && !controller.signal.aborted) {
        await sleep(timing.healthMs, controller.signal)
        if (isGone() || controller.signal.aborted) return
        const r = await get(`${origin}/api/status`, timing.healthTimeoutMs)
        if (r?.status === 200) {
          remember(r.text)
          await rereadToken()
        }
        misses = r?.status === 200 ? 0 : misses + 1
        if (misses >= timing.healthMisses) {
          const why = `its /api/status did not answer ${misses} health checks in a row (${Math.round(misses * timing.healthMs / 1000)} s): the dashboard stops it`
          opts.log('warn', { event: 'backend.unhealthy', profile, misses }, `Hermes' own server is not answering; ${why}`)
          notReady('restarting', why)
          kill()
          return
        }
      }
    }

    const runUrl = async (): Promise<void> => {
      const origin = opts.url as string
      const host = new URL(origin).host
      let failures = 0
      while (!controller.signal.aborted) {
        if (await untilHealthy(origin, () => false)) {
          const token = await discoverToken(origin, opts.token ?? null)
          if (token === null) {
            notReady('failed', `no token: set HERMES_DASHBOARD_BACKEND_TOKEN (its page at ${origin}/ shows none)`)
          } else {
            failures = 0
            // Gone long enough to be taken as down, and back with another token.
            if (lastToken !== null && token !== lastToken) tokenChanged(origin)
            lastToken = token
            becomeReady({ origin, host, token, profileAware: true })
            let healthy = true
            await watch(origin, () => !healthy, () => { healthy = false })
          }
        } else {
          failures++
          notReady(failures >= timing.failedAfter ? 'failed' : 'starting', `${origin}/api/status does not answer`)
        }
        await sleep(Math.min(timing.backoffMs * 2 ** Math.min(failures, 10), timing.backoffMaxMs), controller.signal)
      }
    }

    const runChild = async (): Promise<void> => {
      let failures = 0
      const logName = profile === 'default' ? 'logs/dashboard-backend.log' : `logs/dashboard-backend-${profile}.log`
      while (!controller.signal.aborted) {
        const sub = kind === 'dashboard' ? 'dashboard' : 'serve'
        const port = await freePort()
        const token = randomBytes(32).toString('base64url')
        const origin = `http://127.0.0.1:${port}`
        const [file, ...pre] = opts.hermesCommand as [string, ...string[]]
        const args = [...pre, ...(profile === 'default' ? [] : ['-p', profile]), sub, '--host', '127.0.0.1', '--port', String(port), ...(sub === 'dashboard' ? ['--no-open'] : [])]
        command = [file, ...args].join(' ')
        let log
        try {
          log = await opts.home.profile('default').openAppend(logName)
          await log.write(`\n=== dashboard backend started ${new Date().toISOString()}: ${command} ===\n`)
        } catch (err) {
          notReady('failed', `its log: ${(err as Error).message}`)
          failures++
          await sleep(timing.backoffMaxMs, controller.signal)
          continue
        }
        let output = ''
        let code: number | null = null
        let gone = false
        const env = childEnv(opts.env, { HERMES_HOME: opts.home.root, HERMES_DASHBOARD_SESSION_TOKEN: token, HERMES_NONINTERACTIVE: '1', HERMES_WEB_DIST: stub() })
        // Hermes' own embedded chat stays off: /api/pty is the dashboard's.
        delete env.HERMES_DASHBOARD_TUI
        try {
          child = spawn(file, args, { cwd: opts.home.root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
        } catch (err) {
          child = null
          await log.close()
          notReady('failed', `could not start ${file}: ${(err as Error).message}`)
          failures++
          await sleep(timing.backoffMaxMs, controller.signal)
          continue
        }
        const proc = child
        const copy = (chunk: Buffer): void => {
          if (output.length < 4096) output += chunk.toString('utf8')
          void log.write(chunk).catch(() => {})
        }
        proc.stdout?.on('data', copy)
        proc.stderr?.on('data', copy)
        exited = new Promise<void>((resolve) => {
          proc.once('error', (err) => { output += err.message; gone = true; resolve() })
          proc.once('exit', (c, signal) => {
            code = c ?? (signal === null ? null : -1)
            gone = true
            // From now on requests wait for the next one instead of reaching a dead port.
            if (state === 'ready') notReady('restarting', `exited (${code === null ? 'no exit code' : `exit ${code}`})`)
            resolve()
          })
        })
        const wasReady = await untilHealthy(origin, () => gone)
        if (wasReady) {
          failures = 0
          kind ??= sub
          const real = await discoverToken(origin, token)
          becomeReady({ origin, host: `127.0.0.1:${port}`, token: real ?? token, profileAware: sub === 'serve' })
          opts.log('info', { event: 'backend.ready', profile, pid: proc.pid, command: sub, version }, `Hermes' own server is ready (${sub}, pid ${proc.pid ?? '?'})`)
          await watch(origin, () => gone, () => { void endProcessGroup(proc.pid as number, exited) })
        } else if (!gone) {
          // Never got ready: it goes, and the next attempt starts after the backoff.
          notReady('restarting', `not ready within ${Math.round(timing.startMs / 1000)} s`)
          if (proc.pid !== undefined) await endProcessGroup(proc.pid, exited)
        }
        await exited
        await log.write(`=== dashboard backend ended: ${code === null ? 'no exit code' : `exit ${code}`} ===\n`).catch(() => {})
        await log.close().catch(() => {})
        child = null
        if (controller.signal.aborted) break
        if (!wasReady && kind === null && sub === 'serve' && refusedSubcommand(code, output)) {
          // This Hermes predates `serve`: its own dashboard, once per profile.
          kind = 'dashboard'
          opts.log('info', { event: 'backend.kind', kind }, 'Hermes has no `serve`; using `hermes dashboard --no-open` as its backend')
          continue
        }
        restarts++
        if (!wasReady) failures++
        const why = wasReady ? `exited (${code === null ? 'no exit code' : `exit ${code}`})` : `did not start: ${output.trim().split('\n').slice(-3).join(' | ').slice(0, 400) || `exit ${code ?? '?'}`}`
        notReady(failures >= timing.failedAfter ? 'failed' : 'restarting', why)
        opts.log('warn', { event: 'backend.exited', profile, code, restarts, failures, why }, `Hermes' own server ${why}; restarting`)
        await sleep(Math.min(timing.backoffMs * 2 ** Math.max(0, failures - 1), timing.backoffMaxMs), controller.signal)
      }
      state = 'stopped'
    }

    const running = opts.mode === 'url' ? runUrl() : runChild()

    return {
      profile,
      lastUsed: Date.now(),
      lastStatus: () => lastBody,
      status: () => ({
        profile, state, pid: child?.pid ?? null, url: current?.origin ?? null, command, version, restarts,
        last_error: lastError, ready_since: readySince, token_changes: tokenChanges,
      }),
      tokenRefused (origin) {
        if (current?.origin === origin) void rereadToken()
      },
      async target (waitMs) {
        if (current !== null) return current
        const timer = { id: undefined as NodeJS.Timeout | undefined }
        const waiter: Waiter = { resolve: () => {} }
        try {
          return await new Promise<BackendTarget>((resolve, reject) => {
            waiter.resolve = resolve
            waiters.add(waiter)
            timer.id = setTimeout(() => {
              waiters.delete(waiter)
              reject(state === 'failed'
                ? new DashboardError('HD_ERR_BACKEND_FAILED', `Hermes' own server does not start: ${lastError ?? 'unknown'}`, 'Its output is in HERMES_HOME/logs/dashboard-backend.log; /api/status shows its state.')
                : new DashboardError('HD_ERR_BACKEND_STARTING', `Hermes' own server is ${state === 'restarting' ? 'restarting' : 'starting'}`, 'Try again in a few seconds.'))
            }, waitMs)
          })
        } finally {
          clearTimeout(timer.id)
        }
      },
      async close () {
        controller.abort()
        const proc = child
        if (proc?.pid !== undefined) await endProcessGroup(proc.pid, exited)
        await running.catch(() => {})
      },
    }
  }

  const instanceFor = (profile: string): Instance => {
    let inst = instances.get(profile)
    if (inst === undefined) {
      if (profile !== 'default') {
        const extra = [...instances.values()].filter((i) => i.profile !== 'default')
        if (extra.length >= timing.maxProfiles) {
          const oldest = extra.reduce((a, b) => (a.lastUsed <= b.lastUsed ? a : b))
          instances.delete(oldest.profile)
          void oldest.close()
        }
      }
      inst = makeInstance(profile)
      instances.set(profile, inst)
    }
    inst.lastUsed = Date.now()
    return inst
  }

  return {
    lastStatus: () => instances.get('default')?.lastStatus() ?? null,
    status () {
      const list = [...instances.values()].map((i) => i.status())
      const main = list.find((i) => i.profile === 'default')
      return { mode: opts.mode, state: opts.mode === 'off' ? 'off' : main?.state ?? 'stopped', kind, instances: list }
    },
    tokenRefused (origin) {
      for (const inst of instances.values()) inst.tokenRefused(origin)
    },
    async target (profile, waitMs) {
      if (opts.mode === 'off') throw backendOffError()
      // A server that serves every profile by ?profile= is the one instance; one without, per profile.
      const main = instanceFor('default')
      if (profile === 'default' || kind !== 'dashboard') {
        const t = await main.target(waitMs)
        if (t.profileAware || profile === 'default') return t
      }
      return await instanceFor(profile).target(waitMs)
    },
    start () {
      if (opts.mode !== 'off') instanceFor('default')
    },
    async close () {
      await Promise.all([...instances.values()].map((i) => i.close()))
      instances.clear()
      if (stubDist !== null) rmSync(stubDist, { recursive: true, force: true })
    },
  }
}
