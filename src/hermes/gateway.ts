// src/hermes/gateway.ts
// The gateway's state as Hermes leaves it in HERMES_HOME: gateway.pid (JSON record or a bare number)
// and gateway_state.json. Parsing is pure; reading the files and probing the pid are the edges.

import { readFileSync } from 'node:fs'
import type { ProfileDir } from './home.js'

export interface PidRecord {
  readonly pid: number
  /** Field 22 of /proc/<pid>/stat when the gateway started; guards against a reused pid. */
  readonly startTime: number | null
}

export function parsePidRecord (text: string): PidRecord | null {
  const trimmed = text.trim()
  if (/^\d{1,10}$/.test(trimmed)) return validPid(Number(trimmed), null)
  try {
    const doc = JSON.parse(trimmed) as unknown
    if (doc === null || typeof doc !== 'object') return null
    const { pid, start_time: startTime } = doc as { pid?: unknown, start_time?: unknown }
    return typeof pid === 'number' ? validPid(pid, typeof startTime === 'number' ? startTime : null) : null
  } catch {
    return null
  }
}

function validPid (pid: number, startTime: number | null): PidRecord | null {
  return Number.isInteger(pid) && pid > 0 && pid < 2 ** 31 ? { pid, startTime } : null
}

export interface RuntimeStatus {
  readonly gatewayState: string | null
  readonly exitReason: string | null
  readonly platforms: Record<string, unknown>
  readonly updatedAt: string | null
  readonly activeAgents: number
}

/** gateway_updated_at is an RFC 3339 string or null (old gateways wrote epoch seconds). */
export function normalizeUpdatedAt (value: unknown): string | null {
  let ms: number
  if (typeof value === 'number' && Number.isFinite(value)) ms = value * 1000
  else if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim()
    ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`)
  } else return null
  if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1) || ms > Date.now() + 86_400_000) return null
  return new Date(ms).toISOString()
}

export function parseRuntimeStatus (text: string): RuntimeStatus | null {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return null
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return null
  const d = doc as Record<string, unknown>
  const agents = Number(d.active_agents)
  return {
    gatewayState: typeof d.gateway_state === 'string' ? d.gateway_state : null,
    exitReason: typeof d.exit_reason === 'string' ? d.exit_reason : null,
    platforms: d.platforms !== null && typeof d.platforms === 'object' && !Array.isArray(d.platforms) ? d.platforms as Record<string, unknown> : {},
    updatedAt: normalizeUpdatedAt(d.updated_at),
    activeAgents: Number.isFinite(agents) && agents > 0 ? Math.floor(agents) : 0,
  }
}

/** /proc files only: nothing under HERMES_HOME is read here but through the home door. */
function readText (path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

function procStartTime (pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`)
  if (stat === null) return null
  // The command name (field 2) may hold spaces and parentheses; fields after it follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const value = Number(fields[19])
  return Number.isFinite(value) ? value : null
}

export function isAlive (record: PidRecord): boolean {
  try {
    process.kill(record.pid, 0)
  } catch {
    return false // ESRCH, and EPERM too, as Hermes counts it
  }
  if (record.startTime === null) return true
  const now = procStartTime(record.pid)
  return now === null || now === record.startTime
}

export interface GatewayInfo {
  readonly pid: number | null
  readonly running: boolean
  readonly runtime: RuntimeStatus | null
}

const MAX_STATE_BYTES = 1024 * 1024

/** The gateway of one profile, from its files (each parsed once per change); the pid is probed each time. */
export function readGateway (profile: ProfileDir): GatewayInfo {
  const record = profile.parsed('gateway.pid', parsePidRecord, MAX_STATE_BYTES)
  const running = record !== null && isAlive(record)
  const runtime = profile.parsed('gateway_state.json', parseRuntimeStatus, MAX_STATE_BYTES)
  return { pid: running ? (record as PidRecord).pid : null, running, runtime }
}
