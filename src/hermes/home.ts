// src/hermes/home.ts
// The one door to HERMES_HOME. Every file the dashboard reads or writes there goes through it, so
// the rules hold everywhere at once:
// - a profile is `default` (the home itself) or a valid name under profiles/, and it must be a
//   directory inside the home: a profile directory that is a symlink out of it is refused;
// - a path is a fixed list of segments chosen by code (no '', '.', '..', separators or NUL in one);
// - every file is opened without blocking (O_NONBLOCK: a FIFO never hangs a read or a threadpool
//   thread), then checked for what it really is: a regular file, really inside the home (the kernel's
//   own name for the open descriptor, /proc/self/fd/N, is compared with the home's real path, so a
//   symlink swapped in between cannot win a race);
// - a file is created only in a directory that was checked the same way (opened first, then the
//   file created relative to that open directory), never through a symlink;
// - each failure is a DashboardError naming the file and the errno: home_path_refused for what the
//   dashboard will not open, home_io_failed for what the system refused;
// - parsed files are remembered until they change (device, inode, size, mtime).

import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, realpathSync, statSync, type Stats } from 'node:fs'
import { promises as fsp } from 'node:fs'
import { join, sep } from 'node:path'
import { DashboardError } from '../errors.js'
import { isProfileName } from './profiles.js'

/** Largest file read whole (config.yaml is about 9 KB; logs are tailed, never read whole). */
export const MAX_READ_BYTES = 4 * 1024 * 1024

const PROC_FD = (() => {
  try {
    return readlinkSync('/proc/self/fd/0') !== '' ? '/proc/self/fd' : null
  } catch {
    return null
  }
})()

const SEGMENT_RE = /^[^/\\\0]+$/

/** Splits a code-chosen relative path; throws for anything that is not plain segments. */
export function homeSegments (rel: string): string[] {
  const segments = rel.split('/')
  if (segments.length === 0 || segments.some((s) => s === '' || s === '.' || s === '..' || !SEGMENT_RE.test(s))) {
    throw new Error(`not a plain relative path: ${JSON.stringify(rel)}`)
  }
  return segments
}

/** `child` is `root` or below it (both real paths). */
export function isInside (root: string, child: string): boolean {
  return child === root || child.startsWith(root.endsWith(sep) ? root : root + sep)
}

function refused (rel: string, why: string): DashboardError {
  return new DashboardError('HD_ERR_HOME_PATH_REFUSED', `${rel}: ${why}`,
    'HERMES_HOME may hold regular files and directories only, all inside it; replace the symlink or special file the detail names.')
}

function ioFailed (rel: string, err: NodeJS.ErrnoException, doing: string): DashboardError {
  return new DashboardError('HD_ERR_HOME_IO', `${rel}: ${doing} failed: ${err.code ?? 'error'} (${err.message.replace(/^[A-Z]+: /, '').split(',')[0] ?? ''})`,
    err.code === 'EROFS' ? 'The Hermes home is on a read-only file system.' : err.code === 'EACCES' || err.code === 'EPERM' ? 'The dashboard\'s user may not do this in the Hermes home; check its owner and mode.' : 'See the errno in the detail.')
}

function kindOf (stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO'
  if (stat.isSocket()) return 'a socket'
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device'
  if (stat.isDirectory()) return 'a directory'
  if (stat.isSymbolicLink()) return 'a symbolic link'
  return 'not a regular file'
}

/** Where an open descriptor really is, per the kernel; null where that cannot be asked. */
function descriptorPath (fd: number): string | null {
  if (PROC_FD === null) return null
  try {
    return readlinkSync(`${PROC_FD}/${fd}`)
  } catch {
    return null
  }
}

interface CacheEntry {
  readonly key: string
  readonly value: unknown
}

const keyOf = (s: Stats): string => `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`

/** One profile's directory: the home itself for `default`, profiles/<name> otherwise. */
export interface ProfileDir {
  readonly name: string
  readonly isDefault: boolean
  /** The directory as configured (for display: status shows it). */
  readonly dir: string
  /** The displayed path of a file in it (never opened through this). */
  show (rel: string): string
  /** The whole file as text; null when it does not exist. */
  readTextSync (rel: string, maxBytes?: number): string | null
  /** `parse(text)` of the file, parsed at most once per change; null when it does not exist. */
  parsed<T> (rel: string, parse: (text: string) => T, maxBytes?: number): T | null
  /** The file opened for reading (checked); null when it does not exist. */
  openRead (rel: string): Promise<fsp.FileHandle | null>
  /** The file opened for appending, created (mode 0644) with its one parent directory if needed. */
  openAppend (rel: string): Promise<fsp.FileHandle>
  /** The real path of a regular file inside the home (for a library that opens by name: SQLite); null when missing. */
  regularFile (rel: string): string | null
}

export interface HermesHome {
  readonly root: string
  /** The home exists now (Hermes may create it after the dashboard starts). */
  exists (): boolean
  /** `default` (also '', null, `current`) or a profile name; throws DashboardError. */
  profile (name: string | null | undefined): ProfileDir
  /** `default`, then every profile that profile() would open, by name (as Hermes lists them). */
  profileNames (): string[]
}

export function openHermesHome (root: string): HermesHome {
  let rootReal: string | null = null
  /** The home's real path, found once it exists (it may be created after the dashboard starts). */
  const realRoot = (): string | null => {
    if (rootReal !== null) return rootReal
    try {
      rootReal = realpathSync(root)
    } catch {
      return null
    }
    return rootReal
  }

  /** Throws unless an open descriptor is inside the home (the caller closes it either way). */
  const confine = (fd: number, rel: string, fallbackPath: string): void => {
    const base = realRoot()
    let where = descriptorPath(fd)
    if (where === null) {
      try {
        where = realpathSync(fallbackPath)
      } catch {
        where = null
      }
    }
    if (base === null || where === null || !isInside(base, where)) throw refused(rel, `leads out of HERMES_HOME${where === null ? '' : ` (to ${where})`}`)
  }

  /** Throws unless an open descriptor is a regular file inside the home. */
  const checkFile = (fd: number, rel: string, full: string, stat: Stats): void => {
    confine(fd, rel, full)
    if (!stat.isFile()) throw refused(rel, `is ${kindOf(stat)}, not a regular file`)
  }

  const openErrorSync = (err: unknown, rel: string): null => {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'ENOENT') return null
    if (e.code === 'ENOTDIR') throw refused(rel, 'a part of the path is not a directory')
    if (e.code === 'ELOOP') throw refused(rel, 'too many symbolic links')
    throw ioFailed(rel, e, 'open')
  }

  const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY

  /** Opens a file for reading: without blocking (a FIFO answers at once), then checked; null when missing. */
  const openFileSync = (dir: string, rel: string): { fd: number, stat: Stats } | null => {
    const full = join(dir, ...homeSegments(rel))
    let fd: number
    try {
      fd = openSync(full, READ_FLAGS)
    } catch (err) {
      return openErrorSync(err, rel)
    }
    try {
      const stat = fstatSync(fd)
      checkFile(fd, rel, full, stat)
      return { fd, stat }
    } catch (err) {
      closeSync(fd)
      throw err
    }
  }

  const readAll = (fd: number, size: number, rel: string, maxBytes: number): string => {
    if (size > maxBytes) throw refused(rel, `is ${size} bytes, more than the ${maxBytes} the dashboard reads`)
    const buf = Buffer.alloc(size)
    let off = 0
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off)
      if (n === 0) break
      off += n
    }
    return buf.toString('utf8', 0, off)
  }

  const profileDir = (name: string, dir: string, isDefault: boolean): ProfileDir => {
    const cache = new Map<string, CacheEntry>()
    return {
      name,
      isDefault,
      dir,
      show: (rel) => join(dir, ...homeSegments(rel)),
      readTextSync (rel, maxBytes = MAX_READ_BYTES) {
        const opened = openFileSync(dir, rel)
        if (opened === null) return null
        try {
          return readAll(opened.fd, opened.stat.size, rel, maxBytes)
        } finally {
          closeSync(opened.fd)
        }
      },
      parsed<T> (rel: string, parse: (text: string) => T, maxBytes = MAX_READ_BYTES): T | null {
        const full = join(dir, ...homeSegments(rel))
        let stat: Stats | undefined
        try {
          // A missing file is an answer, not an error: no exception (and its stack) per call.
          stat = statSync(full, { throwIfNoEntry: false })
        } catch (err) {
          throw ioFailed(rel, err as NodeJS.ErrnoException, 'stat')
        }
        if (stat === undefined) {
          cache.delete(rel)
          return null
        }
        // The same inode, size and mtime as the file read and checked before: the same content.
        const hit = cache.get(rel)
        if (hit !== undefined && hit.key === keyOf(stat)) return hit.value as T
        const opened = openFileSync(dir, rel)
        if (opened === null) return null
        let text: string
        try {
          text = readAll(opened.fd, opened.stat.size, rel, maxBytes)
        } finally {
          closeSync(opened.fd)
        }
        const value = parse(text)
        cache.set(rel, { key: keyOf(opened.stat), value })
        return value
      },
      async openRead (rel) {
        const full = join(dir, ...homeSegments(rel))
        let handle: fsp.FileHandle
        try {
          handle = await fsp.open(full, READ_FLAGS)
        } catch (err) {
          return openErrorSync(err, rel)
        }
        try {
          checkFile(handle.fd, rel, full, await handle.stat())
          return handle
        } catch (err) {
          await handle.close()
          throw err
        }
      },
      async openAppend (rel) {
        const segments = homeSegments(rel)
        const file = segments.pop() as string
        const parentRel = segments.join('/')
        const parent = join(dir, ...segments)
        if (segments.length > 0) {
          try {
            mkdirSync(parent, { recursive: true, mode: 0o755 })
          } catch (err) {
            const e = err as NodeJS.ErrnoException
            if (e.code === 'ENOTDIR' || e.code === 'EEXIST') throw refused(parentRel, 'is not a directory')
            throw ioFailed(parentRel, e, 'mkdir')
          }
        }
        let dfd: number
        try {
          dfd = openSync(parent, constants.O_RDONLY | constants.O_DIRECTORY)
        } catch (err) {
          const e = err as NodeJS.ErrnoException
          if (e.code === 'ENOTDIR') throw refused(parentRel || '.', 'is not a directory')
          throw ioFailed(parentRel || '.', e, 'open')
        }
        try {
          confine(dfd, parentRel || '.', parent)
          // Created relative to the checked directory; the file itself may not be a symlink.
          const target = PROC_FD === null ? join(parent, file) : `${PROC_FD}/${dfd}/${file}`
          let handle: fsp.FileHandle
          try {
            handle = await fsp.open(target, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY, 0o644)
          } catch (err) {
            const e = err as NodeJS.ErrnoException
            if (e.code === 'ELOOP') throw refused(rel, 'is a symbolic link')
            // A FIFO nobody reads cannot be opened for writing without blocking.
            if (e.code === 'ENXIO') throw refused(rel, 'is a FIFO, not a regular file')
            if (e.code === 'EISDIR') throw refused(rel, 'is a directory, not a regular file')
            throw ioFailed(rel, e, 'open for writing')
          }
          const stat = await handle.stat()
          if (!stat.isFile()) {
            await handle.close()
            throw refused(rel, `is ${kindOf(stat)}, not a regular file`)
          }
          return handle
        } finally {
          closeSync(dfd)
        }
      },
      regularFile (rel) {
        const opened = openFileSync(dir, rel)
        if (opened === null) return null
        try {
          return descriptorPath(opened.fd) ?? realpathSync(join(dir, ...homeSegments(rel)))
        } finally {
          closeSync(opened.fd)
        }
      },
    }
  }

  const profiles = new Map<string, ProfileDir>()
  const defaultDir = profileDir('default', root, true)

  const home: HermesHome = {
    root,
    exists: () => realRoot() !== null,
    profile (requested) {
      const name = requested ?? ''
      if (name === '' || name === 'current' || name === 'default') return defaultDir
      if (!isProfileName(name)) {
        throw new DashboardError('HD_ERR_PROFILE_INVALID', `"${name.slice(0, 64)}" is not a profile name`, 'Profile names are lower-case letters, digits, _ and -.')
      }
      const dir = join(root, 'profiles', name)
      // Checked on every use: a profile can be made, removed or replaced while the dashboard runs.
      let fd: number
      try {
        fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
      } catch (err) {
        const e = err as NodeJS.ErrnoException
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
          throw new DashboardError('HD_ERR_PROFILE_NOT_FOUND', `Profile '${name}' does not exist.`, `Create it with: hermes profile create ${name}`)
        }
        throw ioFailed(`profiles/${name}`, e, 'open')
      }
      try {
        confine(fd, `profiles/${name}`, dir)
      } finally {
        closeSync(fd)
      }
      let p = profiles.get(name)
      if (p === undefined) {
        if (profiles.size >= 1024) profiles.clear()
        p = profileDir(name, dir, false)
        profiles.set(name, p)
      }
      return p
    },
    profileNames () {
      let entries: string[]
      try {
        entries = readdirSync(join(root, 'profiles'))
      } catch {
        return ['default']
      }
      const names = entries.filter((n) => isProfileName(n) && n !== 'default').sort()
      // Only what passes the door's own checks (a directory really inside the home) is listed.
      return ['default', ...names.filter((n) => { try { home.profile(n); return true } catch { return false } })]
    },
  }
  return home
}
