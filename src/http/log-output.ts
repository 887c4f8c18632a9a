// src/http/log-output.ts
// Where log lines go and how they look: JSON lines (one object per line, for journald, Docker and
// log shippers), or pino-pretty's readable lines for a person at a terminal. pino-pretty is loaded
// only when chosen, and runs in this thread (sync), not as a worker transport: no thread to start,
// and a line logged just before exit is not lost.

import { createRequire } from 'node:module'
import type { DestinationStream } from 'pino'
import type { LogFormat } from '../config/load.js'

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream

/** auto means pretty exactly when stdout is a terminal. */
export function wantsPretty (format: LogFormat, stdoutIsTty: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty)
}

export function prettyStream (colorize: boolean): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as PrettyFactory
  return pretty({ sync: true, colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
}
