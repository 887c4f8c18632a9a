// src/actions/runner.ts
// Starts Hermes actions (hermes update, gateway restart, ...) detached, appending to their log under
// $HERMES_HOME/logs with the Python server's header line, and remembers how each one ended.

import { spawn } from 'node:child_process'
import { constants as os } from 'node:os'
import { DashboardError } from '../errors.js'
import type { HermesHome } from '../hermes/home.js'
import { childEnv } from '../processes/env.js'
import type { ActionSpec } from './table.js'
import { readLogTail } from './tail.js'

export interface ActionStatus {
  readonly running: boolean
  readonly exit_code: number | null
  readonly pid: number | null
}

export interface Started {
  readonly ok: true
  readonly pid: number
  readonly name: string
}

export interface ActionRunner {
  start (spec: ActionSpec, profileArgs: readonly string[]): Promise<Started>
  status (name: string): ActionStatus
  /** The last `n` lines of the action's log (through the home door; none when there is no log). */
  tail (spec: ActionSpec, n: number): Promise<string[]>
}

export interface ActionRunnerOptions {
  readonly home: HermesHome
  readonly command: readonly string[]
  readonly env: Readonly<Record<string, string | undefined>>
}

interface Record_ {
  pid: number
  argv: string
  running: boolean
  exitCode: number | null
}

/** `YYYY-mm-dd HH:MM:SS` in local time, as Python's time.strftime writes it. */
export function logTimestamp (d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

export function createActionRunner (opts: ActionRunnerOptions): ActionRunner {
  const logs = opts.home.profile('default')
  const logOf = (spec: ActionSpec): string => `logs/${spec.logFile}`
  const records = new Map<string, Record_>()
  const starting = new Map<string, Promise<Started>>()

  async function spawnAction (spec: ActionSpec, argv: string[]): Promise<Started> {
    // The home door: logs/ is a directory inside the home, the log a regular file (never a FIFO or
    // a symlink); otherwise a registry error naming the file and the errno.
    const log = await logs.openAppend(logOf(spec))
    try {
      await log.write(`\n=== ${spec.name} started ${logTimestamp()} ===\n`)
      const [file, ...args] = argv as [string, ...string[]]
      const child = spawn(file, args, {
        cwd: opts.home.root,
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
        env: childEnv(opts.env, { HERMES_HOME: opts.home.root, HERMES_NONINTERACTIVE: '1' }),
      })
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve)
        child.once('error', reject)
      }).catch(async (err: Error) => {
        await log.write(`Failed to start ${file}: ${err.message}\n`)
        throw new DashboardError('HD_ERR_ACTION_SPAWN_FAILED', `Failed to start ${spec.name}: ${err.message}`, 'Check --hermes-command (default "hermes") names a program on PATH.')
      })
      const record: Record_ = { pid: child.pid as number, argv: argv.join('\0'), running: true, exitCode: null }
      records.set(spec.name, record)
      child.on('exit', (code, signal) => {
        record.running = false
        // Like Python's Popen.returncode: a signal is reported as its negated number.
        record.exitCode = code ?? (signal === null ? null : -(os.signals[signal] ?? 1))
      })
      child.unref()
      return { ok: true, pid: record.pid, name: spec.name }
    } finally {
      await log.close()
    }
  }

  return {
    tail: async (spec, n) => await readLogTail(await logs.openRead(logOf(spec)), n),
    async start (spec, profileArgs) {
      if (spec.subcommand === null) throw new DashboardError('HD_ERR_ACTION_UNKNOWN', `Unknown action: ${spec.name}`)
      const argv = [...opts.command, ...profileArgs, ...spec.subcommand]
      const pending = starting.get(spec.name)
      if (pending !== undefined) await pending.catch(() => {})
      const current = records.get(spec.name)
      if (current?.running === true) {
        // The same action again is the one already running; another variant of it must wait.
        if (current.argv === argv.join('\0')) return { ok: true, pid: current.pid, name: spec.name }
        throw new DashboardError('HD_ERR_ACTION_BUSY', `${spec.name} is already running with other arguments (pid ${current.pid})`, 'Wait for it to finish; follow it with /api/actions/' + spec.name + '/status.')
      }
      const started = spawnAction(spec, argv)
      starting.set(spec.name, started)
      try {
        return await started
      } finally {
        starting.delete(spec.name)
      }
    },
    status (name) {
      const r = records.get(name)
      if (r === undefined) return { running: false, exit_code: null, pid: null }
      return { running: r.running, exit_code: r.exitCode, pid: r.pid }
    },
  }
}
