// src/actions/tail.ts
// The last lines of a log, read backwards in growing chunks from at most the last 256 KiB.
// tailLines is the logic over any reader; readLogTail is the thin adapter over one open file.

import type { promises as fs } from 'node:fs'

export const TAIL_MAX_BYTES = 256 * 1024
const FIRST_CHUNK = 8 * 1024
const LARGEST_CHUNK = 64 * 1024
const NL = 0x0a

export interface TailSource {
  readonly size: number
  read (position: number, length: number): Promise<Buffer>
}

const CR = 0x0d

/** Line breaks in a chunk, counted low (\r\n, \n-only and \r-only logs alike): reading on is safe. */
function countBreaks (buf: Buffer): number {
  let lf = 0
  let cr = 0
  for (let i = buf.indexOf(NL); i !== -1; i = buf.indexOf(NL, i + 1)) lf++
  for (let i = buf.indexOf(CR); i !== -1; i = buf.indexOf(CR, i + 1)) cr++
  return Math.max(lf, cr)
}

function isBreak (byte: number | undefined): boolean {
  return byte === NL || byte === CR
}

/** Where the first whole line of a window begins, given the byte just before the window. */
function firstWholeLine (data: Buffer, before: number | undefined): number {
  if (before === CR && data[0] === NL) return 1 // a \r\n split by the window's edge
  if (isBreak(before)) return 0
  let i = 0
  while (i < data.length && !isBreak(data[i])) i++
  if (i >= data.length) return data.length
  return data[i] === CR && data[i + 1] === NL ? i + 2 : i + 1
}

/** The last `n` lines (n ≥ 1) of the source's final `maxBytes`; a cut first line is dropped. */
export async function tailLines (source: TailSource, n: number, maxBytes = TAIL_MAX_BYTES): Promise<string[]> {
  const floor = Math.max(0, source.size - maxBytes)
  let start = source.size
  let chunk = FIRST_CHUNK
  let breaks = 0
  const parts: Buffer[] = []
  // n lines need n+1 breaks in view: one more marks where the first wanted line begins.
  while (start > floor && breaks <= n) {
    const length = Math.min(chunk, start - floor)
    start -= length
    const buf = await source.read(start, length)
    parts.unshift(buf)
    breaks += countBreaks(buf)
    chunk = Math.min(chunk * 2, LARGEST_CHUNK)
  }
  let data = Buffer.concat(parts)
  // Reading began inside the file: unless a break precedes the window, its first line is cut.
  if (start > 0) data = data.subarray(firstWholeLine(data, (await source.read(start - 1, 1))[0]))
  const lines = data.toString('utf8').split(/\r\n|\r|\n/)
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return lines.slice(-n)
}

/** Tail of one log file, opened (and checked) by the home door; no file, no lines. Closes the handle. */
export async function readLogTail (handle: fs.FileHandle | null, n: number): Promise<string[]> {
  if (handle === null) return []
  try {
    const stat = await handle.stat()
    if (stat.size === 0) return []
    return await tailLines({
      size: stat.size,
      read: async (position, length) => {
        const buf = Buffer.alloc(length)
        const { bytesRead } = await handle.read(buf, 0, length, position)
        return buf.subarray(0, bytesRead)
      },
    }, n)
  } finally {
    await handle.close()
  }
}
