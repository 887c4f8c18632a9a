// src/web/precompressed.ts
// Which precompressed siblings of a file (app.js.br, app.js.gz) hold the file's own bytes. A copy
// left from an earlier build must not be sent for a newer file, and times cannot tell: an npm
// install extracts files in any order, so a good copy may look older. So each sibling is
// decompressed once and compared; the verdict is kept while the file and the sibling keep their
// size, time and inode, so each asset pays once, on its first request, never at start-up.

import { promises as fs, type Stats } from 'node:fs'
import { promisify } from 'node:util'
import { brotliDecompress, gunzip } from 'node:zlib'

export type Coding = 'br' | 'gzip'

const CODINGS: ReadonlyArray<{ coding: Coding, ext: string, inflate: (b: Buffer) => Promise<Buffer> }> = [
  { coding: 'br', ext: '.br', inflate: promisify(brotliDecompress) },
  { coding: 'gzip', ext: '.gz', inflate: promisify(gunzip) },
]

const identity = (s: Stats): string => `${s.ino}:${s.size}:${s.mtimeMs}`

/** The codings whose sibling of `full` decompresses to exactly `full`'s bytes. */
async function verify (full: string): Promise<{ key: string, codings: Set<Coding> }> {
  const [stat, body] = await Promise.all([fs.stat(full), fs.readFile(full)])
  const keys = [identity(stat)]
  const codings = new Set<Coding>()
  for (const c of CODINGS) {
    try {
      const sibling = `${full}${c.ext}`
      const [s, packed] = await Promise.all([fs.stat(sibling), fs.readFile(sibling)])
      keys.push(identity(s))
      if ((await c.inflate(packed)).equals(body)) codings.add(c.coding)
    } catch {
      keys.push('-') // absent, unreadable or not valid for its coding: not sent
    }
  }
  return { key: keys.join('|'), codings }
}

async function currentKey (full: string): Promise<string> {
  const keys = await Promise.all(['', ...CODINGS.map((c) => c.ext)].map(async (ext) => {
    try {
      return identity(await fs.stat(`${full}${ext}`))
    } catch {
      return '-'
    }
  }))
  return keys.join('|')
}

export class PrecompressedCopies {
  readonly #verdicts = new Map<string, { key: string, codings: Set<Coding> }>()

  /** The codings that may be sent for `full` (an empty set when none may). */
  async codings (full: string): Promise<ReadonlySet<Coding>> {
    const known = this.#verdicts.get(full)
    if (known !== undefined && known.key === await currentKey(full)) return known.codings
    const fresh = await verify(full)
    this.#verdicts.set(full, fresh)
    return fresh.codings
  }
}

/**
 * Accept-Encoding without the codings whose copy may not be sent, so the static file sender picks
 * among the good ones only. `*` goes too: it would stand for a coding with a bad copy.
 */
export function limitAcceptEncoding (header: string | undefined, allowed: ReadonlySet<Coding>): string | undefined {
  if (header === undefined) return undefined
  const kept = header.split(',').filter((item) => {
    const name = item.split(';')[0]?.trim().toLowerCase() ?? ''
    if (name === '*') return false
    return !(name === 'br' || name === 'gzip' || name === 'x-gzip') || allowed.has(name === 'x-gzip' ? 'gzip' : name)
  })
  return kept.length === 0 ? 'identity' : kept.join(',')
}
