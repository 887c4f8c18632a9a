// test/helpers/requirements.ts
// What a test needs from the machine. A missing privilege or program fails the test loudly; with
// HD_TEST_ALLOW_MISSING=1 it is reported as skipped instead, never as passed.

import { spawnSync } from 'node:child_process'
import type { Test } from 'tap'
import { createTestNet, NetnsUnavailable, type TestNet } from './netns.js'

type T = Test

/** Reports a missing requirement: a failure, or with HD_TEST_ALLOW_MISSING=1 a skip (never a pass). */
export function missing (t: T, what: string): void {
  const message = `REQUIREMENT MISSING: ${what}`
  t.comment(message)
  process.stderr.write(`\n*** ${message} ***\n`)
  if (process.env.HD_TEST_ALLOW_MISSING === '1') t.pass(`SKIPPED, not passed: ${message}`, { skip: message })
  else t.fail(message)
}

/** A test network namespace, or null after reporting why there is none. */
export async function requireTestNet (t: T): Promise<TestNet | null> {
  try {
    const net = await createTestNet()
    t.teardown(() => net.destroy())
    return net
  } catch (err) {
    if (!(err instanceof NetnsUnavailable)) throw err
    missing(t, err.message)
    return null
  }
}

/** A program on PATH (nginx, caddy, strace, openssl), or false after reporting it missing. */
export function requireProgram (t: T, name: string, installHint: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  if (found.status === 0) return true
  missing(t, `${name} is not installed (${installHint})`)
  return false
}
