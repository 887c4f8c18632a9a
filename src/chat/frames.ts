// src/chat/frames.ts
// The /api/pty wire format, as pure functions: what the browser sends (keystrokes, or a RESIZE frame
// the server handles itself) and how PTY output is cut into binary frames.

import { constants as osConstants } from 'node:os'

/** PTY output goes out in binary frames of at most this many bytes (one read of the Python server). */
export const MAX_OUTPUT_FRAME = 64 * 1024

export const MAX_COLS = 2000
export const MAX_ROWS = 1000

export interface Resize {
  readonly cols: number
  readonly rows: number
}

// ESC [ R E S I Z E :
const PREFIX = Buffer.from('\x1b[RESIZE:', 'latin1')
// The longest frame that can be a RESIZE; digits beyond this would only be clamped anyway.
const MAX_RESIZE_FRAME = PREFIX.length + 40

function clamp (n: number, max: number): number {
  return n < 1 ? 1 : n > max ? max : n
}

/** Parses a decimal run of ASCII digits; absurdly long runs saturate instead of losing precision. */
function digits (buf: Buffer, from: number, to: number): number | null {
  if (to <= from) return null
  let n = 0
  for (let i = from; i < to; i++) {
    const c = buf[i] as number
    if (c < 0x30 || c > 0x39) return null
    n = Math.min(n * 10 + (c - 0x30), Number.MAX_SAFE_INTEGER)
  }
  return n
}

/**
 * A frame that is exactly `ESC[RESIZE:<cols>;<rows>]` (and nothing else) is a resize, clamped to
 * 1..2000 columns and 1..1000 rows. Anything else, a RESIZE glued to other input included, is input.
 */
export function parseResize (frame: Buffer): Resize | null {
  if (frame.length < PREFIX.length + 4 || frame.length > MAX_RESIZE_FRAME) return null
  if (frame[frame.length - 1] !== 0x5d /* ] */) return null
  if (!frame.subarray(0, PREFIX.length).equals(PREFIX)) return null
  const semi = frame.indexOf(0x3b /* ; */, PREFIX.length)
  if (semi === -1) return null
  const cols = digits(frame, PREFIX.length, semi)
  const rows = digits(frame, semi + 1, frame.length - 1)
  if (cols === null || rows === null) return null
  return { cols: clamp(cols, MAX_COLS), rows: clamp(rows, MAX_ROWS) }
}

/** Cuts a chunk into frames of at most `max` bytes (views, no copies). */
export function frames (chunk: Buffer, max = MAX_OUTPUT_FRAME): Buffer[] {
  if (chunk.length <= max) return [chunk]
  const out: Buffer[] = []
  for (let i = 0; i < chunk.length; i += max) out.push(chunk.subarray(i, i + max))
  return out
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name]))

/** How a chat program ended, as the close reason says it: `code=N`, or `signal=SIGKILL` when killed. */
export function exitText (exitCode: number, signal: number | undefined): string {
  if (signal !== undefined && signal > 0) return `signal=${SIGNAL_NAMES.get(signal) ?? signal}`
  return `code=${exitCode}`
}

/** A red line written into the terminal when chat cannot start (the front end prints text frames). */
export function failureBanner (message: string): string {
  return `\r\n\x1b[31m${message.replace(/[\x00-\x1f\x7f]+/g, ' ')}\x1b[0m\r\n`
}
