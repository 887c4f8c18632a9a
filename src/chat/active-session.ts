// src/chat/active-session.ts
// Per-channel breadcrumb files: the chat program writes {"session_id": ...} into the file named by
// HERMES_TUI_ACTIVE_SESSION_FILE whenever it starts or switches sessions, so that a reconnect on the
// same channel resumes it. Unlike Hermes' temp files these live in one private directory per server,
// which is removed when the server closes.

import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Session ids as Hermes makes them; anything else read from a breadcrumb is ignored. */
export const SESSION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/
const MAX_FILE_BYTES = 4096

export interface ActiveSessions {
  /** The file the chat program on `channel` writes to (channels are ^[A-Za-z0-9._-]{1,128}$). */
  pathFor (channel: string): string
  /** The session the channel's chat last reported, or null. */
  read (channel: string): string | null
  forget (channel: string): void
  dispose (): void
}

export function createActiveSessions (parent = tmpdir()): ActiveSessions {
  let dir: string | null = null
  const path = (channel: string): string => {
    dir ??= mkdtempSync(join(parent, 'hermes-dashboard-chat-'))
    return join(dir, `hermes-pty-active-${channel}.json`)
  }
  return {
    pathFor: path,
    read (channel) {
      if (dir === null) return null
      let fd: number
      try {
        // Never follow a link planted in place of the file.
        fd = openSync(path(channel), constants.O_RDONLY | constants.O_NOFOLLOW)
      } catch {
        return null
      }
      try {
        const buf = Buffer.alloc(MAX_FILE_BYTES)
        const n = readSync(fd, buf, 0, MAX_FILE_BYTES, 0)
        const id = (JSON.parse(buf.subarray(0, n).toString('utf8')) as { session_id?: unknown }).session_id
        return typeof id === 'string' && SESSION_ID_RE.test(id) ? id : null
      } catch {
        return null
      } finally {
        closeSync(fd)
      }
    },
    forget (channel) {
      if (dir === null) return
      try {
        unlinkSync(path(channel))
      } catch {}
    },
    dispose () {
      if (dir !== null) rmSync(dir, { recursive: true, force: true })
      dir = null
    },
  }
}
