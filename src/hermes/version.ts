// src/hermes/version.ts
// Hermes' own version, asked once of `<hermes-command> version` in the background; until it answers
// (or if it cannot), status reports "unknown" rather than making a caller wait.

import { execFile } from 'node:child_process'

export interface HermesVersion {
  readonly version: string
  readonly releaseDate: string
}

const UNKNOWN: HermesVersion = Object.freeze({ version: 'unknown', releaseDate: '' })

/** First line of `hermes version`: `Hermes Agent v0.13.0 (2026.5.7)`. */
export function parseVersionOutput (text: string): HermesVersion | null {
  const m = /Hermes Agent v?(\d+\.\d+\.\d+[\w.+-]*)(?:\s+\(([^)]{1,32})\))?/.exec(text)
  return m === null ? null : { version: m[1] as string, releaseDate: m[2] ?? '' }
}

export interface VersionProbe {
  current (): HermesVersion
  /** Ends the probe if it is still running (server shutdown). */
  stop (): void
}

export function probeHermesVersion (command: readonly string[], env: Record<string, string>, timeoutMs = 10_000): VersionProbe {
  let known = UNKNOWN
  const [file, ...args] = command as [string, ...string[]]
  const child = execFile(file, [...args, 'version'], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 }, (err, stdout) => {
    if (err === null) known = parseVersionOutput(stdout) ?? UNKNOWN
  })
  child.on('error', () => {})
  return {
    current: () => known,
    stop: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') },
  }
}
