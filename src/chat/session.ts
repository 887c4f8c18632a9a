// src/chat/session.ts
// One chat PTY and the socket currently showing it. Output goes to that socket in binary frames of
// at most 64 KiB; when the socket falls behind, the PTY is paused (the child then blocks on write)
// instead of buffering without bound. A kept-alive session also keeps the last output in a ring and
// replays it to the next socket that attaches; a newer socket supersedes the older one.

import { closeReason, ERRORS } from '../errors.js'
import { endProcessGroup, signalGroup } from '../processes/group.js'
import { exitText, frames, parseResize, type Resize } from './frames.js'
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
  /** Bytes written but not yet taken by the terminal (input the program has not read). */
  pendingInput (): number
}

/** The part of a ws WebSocket a session uses. */
export interface Viewer {
  readonly bufferedAmount: number
  readonly readyState: number
  send (data: Buffer, options: { binary: boolean }, cb?: (err?: Error) => void): void
  close (code?: number, reason?: string): void
  /** Stop and start reading the viewer's socket (typed input waits in the browser and the network). */
  pause (): void
  resume (): void
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
  /** Stop reading the viewer's input while the program has this much of it unread ... */
  readonly inputHighWater: number
  /** ... and read on once it is down to this (checked every INPUT_POLL_MS meanwhile). */
  readonly inputLowWater: number
}

/** node-pty has no drain event for input, so a throttled viewer is looked at this often. */
export const INPUT_POLL_MS = 20

export interface ChatSession {
  readonly pid: number
  readonly alive: boolean
  /** Settles when the child has exited and its output has been read to the end. */
  readonly exited: Promise<ExitInfo>
  /** When the last viewer left (ms since epoch); null while one is attached. */
  readonly detachedAt: number | null
  readonly paused: boolean
  /** The viewer's input is paused: the program has more than inputHighWater of it unread. */
  readonly inputThrottled: boolean
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

  // Typed input the program does not read (it is blocked writing output nobody reads) piles up in
  // node-pty's queue: beyond the high-water mark the viewer's socket is paused, so the rest waits in
  // TCP and the browser, not in this server.
  let throttled: Viewer | null = null
  let inputTimer: NodeJS.Timeout | undefined
  const readInputAgain = (): void => {
    clearInterval(inputTimer)
    inputTimer = undefined
    const v = throttled
    throttled = null
    if (v !== null && v.readyState === OPEN) v.resume()
  }
  const throttleInput = (from: Viewer): void => {
    if (throttled !== null || pty.pendingInput() <= options.inputHighWater) return
    throttled = from
    from.pause()
    inputTimer = setInterval(() => {
      if (!alive || viewer !== throttled || pty.pendingInput() <= options.inputLowWater) readInputAgain()
    }, INPUT_POLL_MS)
    inputTimer.unref()
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
    readInputAgain()
    // What the chat left running in its group (a background job ignoring the hangup) goes with it.
    signalGroup(pty.pid, 'SIGKILL')
    paused = false
    const last = viewer
    viewer = null
    // Legacy sessions end like the Python server's (a clean 1000, "session ended"); kept-alive ones
    // say the process exited (4410), which the front end shows the same way.
    if (last !== null && last.readyState === OPEN) {
      const how = exitText(exitCode, signal)
      if (ring === null) last.close(1000, closeReason(`exited ${how}`))
      else last.close(EXITED.close, closeReason(`${EXITED.reason} ${how}`))
    }
    resolveExit({ exitCode, signal: signal ?? 0 })
  })

  return {
    get pid () { return pty.pid },
    get alive () { return alive },
    get detachedAt () { return detachedAt },
    get paused () { return paused },
    get inputThrottled () { return throttled !== null },
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
      if (throttled === gone) readInputAgain()
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
      if (frame.length > 0) {
        pty.write(frame)
        throttleInput(from)
      }
      return 'written'
    },
    async end () {
      if (alive) await endProcessGroup(pty.pid, exited)
      await exited
    },
  }
}
