// src/processes/group.ts
// Ending a child's whole process group the way Hermes does: SIGHUP, then SIGTERM, then SIGKILL, with
// a short grace after each, stopping as soon as the group leader has exited. Children of the chat
// program (a shell, a Python gateway) are in the leader's group, so they go with it.

import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'

export const GROUP_SIGNALS = ['SIGHUP', 'SIGTERM', 'SIGKILL'] as const
export const DEFAULT_GRACE_MS = 500

/** Sends a signal to the group led by `pid`; false when there is no such group any more. */
export function signalGroup (pid: number, signal: NodeJS.Signals): boolean {
  // kill(-0) and kill(-1) would signal this server's own group, or everything it may signal.
  if (!Number.isInteger(pid) || pid <= 1) return false
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

function within (exited: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(resolve, ms, false) })
  return Promise.race([exited.then(() => true), timeout]).finally(() => clearTimeout(timer))
}

/**
 * Ends the group led by `pid`. `exited` settles when the leader has exited and been reaped (node-pty
 * and child_process reap their own children). Stragglers that outlive the leader get SIGKILL too.
 */
export async function endProcessGroup (pid: number, exited: Promise<unknown>, graceMs = DEFAULT_GRACE_MS): Promise<void> {
  let reaped = false
  void exited.then(() => { reaped = true })
  for (const signal of GROUP_SIGNALS) {
    // A child that has only just been forked may not have made its own group yet (forkpty calls
    // setsid in the child): then the leader itself is signalled. Never after it was reaped, when its
    // pid may already belong to someone else.
    if (!signalGroup(pid, signal) && !(reaped || signalPid(pid, signal))) break
    if (await within(exited, graceMs)) break
  }
  // The leader is gone; a member that ignored SIGHUP must not outlive it. Once the leader is
  // reaped its pid cannot be handed out again while the group still has members.
  if (!signalGroup(pid, 'SIGKILL')) return
  // SIGKILL is delivered asynchronously: wait (bounded) until the group is really empty, so that
  // whoever awaits this (server shutdown) finds nothing left. A zombie nobody reaps ends the wait.
  for (let i = 0; i < GONE_POLLS && groupExists(pid); i++) await new Promise((resolve) => setTimeout(resolve, GONE_POLL_MS))
}

const GONE_POLLS = 40
const GONE_POLL_MS = 25

function groupExists (pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

function signalPid (pid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

/** The executable a command name resolves to on PATH (or as a path), or null: checked before spawning
 *  so that a missing command is reported by name instead of as an exec failure inside the terminal. */
export function findProgram (name: string, pathVar: string | undefined, cwd = process.cwd()): string | null {
  const candidates = name.includes('/')
    ? [isAbsolute(name) ? name : join(cwd, name)]
    : (pathVar ?? '').split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, name))
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {}
  }
  return null
}
