// src/hermes/logs.ts
// GET /api/logs as each known Hermes answers it: a fixed table of log names (a name from a URL is
// only ever a key into it, never part of a path), the last lines read from the end of the file
// through the home door, and Hermes' level and component filters. The filtering is pure.

import { tailLines } from '../actions/tail.js'
import type { Contract } from './contract.js'
import type { ProfileDir } from './home.js'
import { HermesAnswer } from './sessions-read.js'

const LOG_FILES: Readonly<Record<Contract, Readonly<Record<string, string>>>> = {
  'v0.13': { agent: 'agent.log', errors: 'errors.log', gateway: 'gateway.log' },
  'v0.18': { agent: 'agent.log', errors: 'errors.log', gateway: 'gateway.log', gui: 'gui.log', desktop: 'desktop.log', mcp: 'mcp-stderr.log' },
}

const COMPONENTS: Readonly<Record<Contract, Readonly<Record<string, readonly string[]>>>> = {
  'v0.13': { gateway: ['gateway'], agent: ['agent', 'run_agent', 'model_tools', 'batch_runner'], tools: ['tools'], cli: ['hermes_cli', 'cli'], cron: ['cron'] },
  'v0.18': {
    gateway: ['gateway', 'hermes_plugins', 'plugins.platforms'], agent: ['agent', 'run_agent', 'model_tools', 'batch_runner'], tools: ['tools'], cli: ['hermes_cli', 'cli'], cron: ['cron'],
    gui: ['hermes_cli.web_server', 'hermes_cli.pty_bridge', 'tui_gateway', 'uvicorn'],
  },
}

const LEVELS: Readonly<Record<string, number>> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 }
const LEVEL_RE = /\s(DEBUG|INFO|WARNING|ERROR|CRITICAL)\s/
const LOGGER_RE = /\s(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)(?:\s+\[.*?\])?\s+(\S+):/

export interface LogQuery {
  readonly file: string
  readonly lines: number
  readonly level: string | null
  readonly component: string | null
  readonly search: string | null
}

/** The line passes Hermes' filters (a line with no level passes the level filter). */
export function passes (line: string, minLevel: string | null, prefixes: readonly string[] | null): boolean {
  if (minLevel !== null) {
    const m = LEVEL_RE.exec(line)
    if (m !== null && (LEVELS[m[1] as string] ?? 0) < (LEVELS[minLevel] ?? 0)) return false
  }
  if (prefixes !== null) {
    const name = LOGGER_RE.exec(line)?.[1]
    if (name === undefined || !prefixes.some((p) => name.startsWith(p))) return false
  }
  return true
}

/** Python's list[-n:] (n ≤ 0 keeps from the other end, as Hermes' slicing does). */
function lastN<T> (list: T[], n: number): T[] {
  return n === 0 ? list : list.slice(-n)
}

/** The last lines of one of Hermes' logs (the home's logs/, whatever the profile: Hermes reads it there). */
export async function readLogs (home: ProfileDir, contract: Contract, q: LogQuery): Promise<Record<string, unknown>> {
  const name = LOG_FILES[contract][q.file]
  if (name === undefined) throw new HermesAnswer(400, { detail: `Unknown log file: ${q.file}` })
  const minLevel = q.level !== null && q.level !== '' && q.level.toUpperCase() !== 'ALL' ? q.level : null
  let prefixes: readonly string[] | null = null
  if (q.component !== null && q.component !== '' && q.component.toLowerCase() !== 'all') {
    prefixes = COMPONENTS[contract][q.component] ?? null
    if (prefixes === null) throw new HermesAnswer(400, { detail: `Unknown component: ${q.component}. Available: ${Object.keys(COMPONENTS[contract]).sort().join(', ')}` })
  }
  const n = q.search !== null && q.search !== '' ? 2000 : Math.min(q.lines, 500)
  const filtering = minLevel !== null || prefixes !== null
  const want = filtering ? Math.max(n * 20, 2000) : n
  const handle = await home.openRead(`logs/${name}`)
  if (handle === null) return { file: q.file, lines: [] }
  let raw: string[]
  try {
    const size = (await handle.stat()).size
    // Hermes keeps line endings (one "\n" each) and drops blank lines when it reads from the end.
    raw = size === 0 || want <= 0 ? [] : (await tailLines({ size, read: async (pos, len) => { const b = Buffer.alloc(len); const { bytesRead } = await handle.read(b, 0, len, pos); return b.subarray(0, bytesRead) } }, want, 8 * 1024 * 1024)).filter((l) => l !== '').map((l) => `${l}\n`)
  } finally {
    await handle.close()
  }
  let out = filtering ? raw.filter((l) => passes(l, minLevel, prefixes)) : raw
  out = lastN(out, n)
  if (q.search !== null && q.search !== '') {
    const needle = q.search.toLowerCase()
    out = lastN(out.filter((l) => l.toLowerCase().includes(needle)), Math.min(q.lines, 500))
  }
  return { file: q.file, lines: out }
}
