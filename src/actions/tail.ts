// src/actions/tail.ts
// The last lines of a log, read backwards in growing chunks from at most the last 256 KiB.
// tailLines is the logic over any reader; readLogTail is the thin adapter over one file.

import { constants, promises as fs } from 'node:fs'

export const TAIL_MAX_BYTES = 256 * 1024
const FIRST_CHUNK = 8 * 1024
const LARGEST_CHUNK = 64 * 1024
const NL = 0x0a

export interface TailSource {
  readonly size: number
  read (position: number, length: number): Promise<Buffer>
}

function countNewlines (buf: Buffer): number {
  let n = 0
  for (let i = buf.indexOf(NL); i !== -1; i = buf.indexOf(NL, i + 1)) n++
  return n
}

/** The last `n` lines (n ≥ 1) of the source's final `maxBytes`; a cut first line is dropped. */
export async function tailLines (source: TailSource, n: number, maxBytes = TAIL_MAX_BYTES): Promise<string[]> {
  const floor = Math.max(0, source.size - maxBytes)
  let start = source.size
  let chunk = FIRST_CHUNK
  let newlines = 0
  const parts: Buffer[] = []
  // n lines need n+1 newlines in view: one more marks where the first wanted line begins.
  while (start > floor && newlines <= n) {
    const length = Math.min(chunk, start - floor)
    start -= length
    const buf = await source.read(start, length)
    parts.unshift(buf)
    newlines += countNewlines(buf)
    chunk = Math.min(chunk * 2, LARGEST_CHUNK)
  }
  let data = Buffer.concat(parts)
  if (start > 0) {
    const before = await source.read(start - 1, 1)
    if (before[0] !== NL) {
      const cut = data.indexOf(NL)
      data = cut === -1 ? Buffer.alloc(0) : data.subarray(cut + 1)
    }
  }
  const lines = data.toString('utf8').split(/\r\n|\r|\n/)
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return lines.slice(-n)
}

/**
 * Tail of one log file. A missing file, or anything that is not a plain file (a symlink is not
 * followed: the log directory is the only place read), gives no lines.
 */
export async function readLogTail (path: string, n: number): Promise<string[]> {
  let handle: fs.FileHandle
  try {
    handle = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return []
    throw err
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile() || stat.size === 0) return []
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
