// src/actions/table.ts
// The known actions: name → log file under $HERMES_HOME/logs, and the Hermes subcommand that runs it.
// A name from a URL is only ever a key into this table, never part of a path.

export interface ActionSpec {
  readonly name: string
  /** File name under $HERMES_HOME/logs (the Python server's names, so both read the same logs). */
  readonly logFile: string
  /** Subcommand after the hermes command; null when this server cannot start it (status only). */
  readonly subcommand: readonly string[] | null
  /** Takes `-p <profile>` before the subcommand. */
  readonly profiled: boolean
}

function spec (name: string, logFile: string, subcommand: readonly string[] | null, profiled = false): ActionSpec {
  return Object.freeze({ name, logFile, subcommand, profiled })
}

const TABLE: readonly ActionSpec[] = [
  spec('hermes-update', 'hermes-update.log', ['update']),
  spec('gateway-restart', 'gateway-restart.log', ['gateway', 'restart'], true),
  spec('gateway-start', 'gateway-start.log', ['gateway', 'start'], true),
  spec('gateway-stop', 'gateway-stop.log', ['gateway', 'stop'], true),
  // Started by routes of later Hermes versions; their logs are still readable here.
  ...['doctor', 'security-audit', 'backup', 'import', 'checkpoints-prune', 'skills-install', 'skills-uninstall',
    'skills-update', 'curator-run', 'prompt-size', 'dump', 'config-migrate', 'tools-post-setup', 'computer-use-grant']
    .map((name) => spec(name, `action-${name}.log`, null)),
]

const BY_NAME = new Map(TABLE.map((a) => [a.name, a]))

export function findAction (name: string): ActionSpec | undefined {
  return BY_NAME.get(name)
}

export function actionNames (): string[] {
  return [...BY_NAME.keys()]
}
