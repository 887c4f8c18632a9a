// src/chat/session.ts
// One chat PTY and the socket currently showing it. Output goes to that socket in binary frames of
// at most 64 KiB; when the socket falls behind, the PTY is paused (the child then blocks on write)
// instead of buffering without bound. A kept-alive session also keeps the last output in a ring and
// replays it to the next socket that attaches; a newer socket supersedes the older one.

import { closeReason, ERRORS } from '../errors.js'
import { endProcessGroup, signalGroup } from '../processes/group.js'
import { frames, parseResize, type Resize } from './frames.js'
import { createRing, type Ring } from './ring.js'

/** The part of a node-pty IPty a session uses (output as Buffers: spawned with encoding null). */
export interface PtyLike {
  readonly pid: number
  write (data: Buffer): void
  resize (cols: number, rows: number): void
  pause (): void
  resume (): void
  onData (listener: (data: Buffer) => void): unknown
  onExit (listener: (e: { exitCode: number, signal?: number }) => void): unknown
}

/** The part of a ws WebSocket a session uses. */
export interface Viewer {
  readonly bufferedAmount: number
  readonly readyState: number
  send (data: Buffer, options: { binary: boolean }, cb?: (err?: Error) => void): void
  close (code?: number, reason?: string): void
}

export interface ExitInfo {
  readonly exitCode: number
  readonly signal: number
}

export interface ChatSessionOptions {
  /** Replay buffer size; null for a session that lives and dies with one socket. */
  readonly ringBytes: number | null
  /** Pause the PTY when the viewer has this many bytes queued ... */
  readonly highWater: number
  /** ... and resume it once the queue is down to this. */
  readonly lowWater: number
}

export interface ChatSession {
  readonly pid: number
  readonly alive: boolean
  /** Settles when the child has exited and its output has been read to the end. */
  readonly exited: Promise<ExitInfo>
  /** When the last viewer left (ms since epoch); null while one is attached. */
  readonly detachedAt: number | null
  readonly paused: boolean
  /** Shows the session on `viewer`, replaying the ring first; the previous viewer is closed 4409. */
  attach (viewer: Viewer): void
  /** The viewer went away; false when it was not the attached one (a superseded socket's late close). */
  detach (viewer: Viewer): boolean
  /** A frame from `viewer`: a RESIZE, or input written to the PTY unchanged. A superseded viewer's input is dropped. */
  input (viewer: Viewer, frame: Buffer): Resize | 'written' | 'dropped'
  /** Ends the child's process group (SIGHUP, SIGTERM, SIGKILL) and waits for the exit. */
  end (): Promise<void>
}

const OPEN = 1
const SUPERSEDED = ERRORS.HD_ERR_CHAT_SUPERSEDED
const EXITED = ERRORS.HD_ERR_CHAT_EXITED

export function createChatSession (pty: PtyLike, options: ChatSessionOptions): ChatSession {
  const ring: Ring | null = options.ringBytes === null ? null : createRing(options.ringBytes)
  let viewer: Viewer | null = null
  let alive = true
  let paused = false
  let detachedAt: number | null = Date.now()
  let resolveExit!: (info: ExitInfo) => void
  const exited = new Promise<ExitInfo>((resolve) => { resolveExit = resolve })

  const pause = (): void => {
    if (paused) return
    paused = true
    pty.pause()
  }
  const resume = (): void => {
    if (!paused) return
    paused = false
    if (alive) pty.resume()
  }
  // Runs after each frame reaches the socket: the queue only shrinks there.
  const onSent = (): void => {
    if (paused && (viewer === null || viewer.bufferedAmount <= options.lowWater)) resume()
  }

  const show = (target: Viewer, chunk: Buffer): void => {
    for (const frame of frames(chunk)) target.send(frame, { binary: true }, onSent)
    if (target.bufferedAmount > options.highWater) pause()
  }

  pty.onData((data) => {
    ring?.push(data)
    if (viewer !== null && viewer.readyState === OPEN) show(viewer, data)
  })
  pty.onExit(({ exitCode, signal }) => {
    alive = false
    // What the chat left running in its group (a background job ignoring the hangup) goes with it.
    signalGroup(pty.pid, 'SIGKILL')
    paused = false
    const last = viewer
    viewer = null
    // Legacy sessions end like the Python server's (a clean 1000, "session ended"); kept-alive ones
    // say the process exited (4410), which the front end shows the same way.
    if (last !== null && last.readyState === OPEN) {
      if (ring === null) last.close(1000, closeReason(`exited code=${exitCode}`))
      else last.close(EXITED.close, closeReason(`${EXITED.reason} code=${exitCode}`))
    }
    resolveExit({ exitCode, signal: signal ?? 0 })
  })

  return {
    get pid () { return pty.pid },
    get alive () { return alive },
    get detachedAt () { return detachedAt },
    get paused () { return paused },
    exited,
    attach (next) {
      const previous = viewer
      viewer = next
      detachedAt = null
      if (previous !== null && previous !== next && previous.readyState === OPEN) previous.close(SUPERSEDED.close, SUPERSEDED.reason)
      // The old viewer's queue no longer holds the PTY back.
      resume()
      if (ring !== null && ring.size > 0) show(next, ring.snapshot())
    },
    detach (gone) {
      if (viewer !== gone) return false
      viewer = null
      detachedAt = Date.now()
      // Nobody is reading: keep draining into the ring rather than blocking the child.
      resume()
      return true
    },
    input (from, frame) {
      if (from !== viewer || !alive) return 'dropped'
      const size = parseResize(frame)
      if (size !== null) {
        pty.resize(size.cols, size.rows)
        return size
      }
      if (frame.length > 0) pty.write(frame)
      return 'written'
    },
    async end () {
      if (alive) await endProcessGroup(pty.pid, exited)
      await exited
    },
  }
}
