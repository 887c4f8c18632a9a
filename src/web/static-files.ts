// src/web/static-files.ts
// Files of the web root (the built front end): a URL path mapped inside the root, never out of it,
// and the reads the page route makes. The web root is not under HERMES_HOME.

import { promises as fs, type Stats } from 'node:fs'
import { join, sep } from 'node:path'

export interface StaticFile {
  /** Path relative to the root, with forward slashes. */
  readonly rel: string
  readonly full: string
}

/** Maps a decoded URL path to a file under root; null for anything that could leave it or names a dotfile. */
export function staticPath (root: string, decoded: string): StaticFile | null {
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const segments = decoded.split('/').filter((s) => s !== '')
  if (segments.length === 0 || segments.some((s) => s === '..' || s === '.' || s.startsWith('.'))) return null
  const full = join(root, ...segments)
  return full.startsWith(root + sep) ? { rel: segments.join('/'), full } : null
}

/** The file's stats when it is a regular file; null otherwise. */
export async function fileStat (path: string): Promise<Stats | null> {
  try {
    const stat = await fs.stat(path)
    return stat.isFile() ? stat : null
  } catch {
    return null
  }
}

export async function readText (path: string): Promise<string> {
  return await fs.readFile(path, 'utf8')
}
