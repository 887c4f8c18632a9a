// test/unit/home.test.ts
// The home door on real files: what it opens (regular files inside HERMES_HOME, through symlinks
// that stay inside), what it refuses with a registry code naming the file (FIFOs, devices,
// directories, symlinks out, profiles that lead out), that nothing blocks on a FIFO, that logs/ is
// never written through a symlink, that a read-only home is a clear error, and the parse cache.

import t from 'tap'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DashboardError } from '../../src/errors.js'
import { homeSegments, isInside, openHermesHome } from '../../src/hermes/home.js'

function scratch (t: { teardown (fn: () => void): void }): { home: string, outside: string } {
  const base = mkdtempSync(join(tmpdir(), 'hd-door-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  const home = join(base, 'home')
  const outside = join(base, 'outside')
  mkdirSync(join(home, 'logs'), { recursive: true })
  mkdirSync(join(home, 'profiles'), { recursive: true })
  mkdirSync(outside)
  writeFileSync(join(outside, 'secret.txt'), 'outside-secret')
  return { home, outside }
}

/** The registry code and detail of what `fn` throws (or 'ok'). */
async function outcome (fn: () => unknown): Promise<string> {
  try {
    await fn()
    return 'ok'
  } catch (err) {
    if (err instanceof DashboardError) return `${err.reason}: ${err.message}`
    throw err
  }
}

t.test('paths are plain segments; inside means inside', async (t) => {
  t.strictSame(homeSegments('logs/agent.log'), ['logs', 'agent.log'])
  for (const bad of ['', '/etc/passwd', 'logs//x', '../x', 'logs/../x', './x', 'a\\b', 'a\0b']) t.throws(() => homeSegments(bad), `${JSON.stringify(bad)} refused`)
  t.ok(isInside('/h', '/h'))
  t.ok(isInside('/h', '/h/a'))
  t.notOk(isInside('/h', '/home'))
  t.notOk(isInside('/h', '/'))
})

t.test('reads: regular files inside, symlinks that stay inside; everything else refused by name', async (t) => {
  const { home, outside } = scratch(t)
  const door = openHermesHome(home).profile('default')
  writeFileSync(join(home, 'config.yaml'), 'model: x\n')
  t.equal(door.readTextSync('config.yaml'), 'model: x\n', 'a regular file')
  t.equal(door.readTextSync('missing.yaml'), null, 'missing: null')
  symlinkSync(join(home, 'config.yaml'), join(home, 'alias.yaml'))
  t.equal(door.readTextSync('alias.yaml'), 'model: x\n', 'a symlink to a file inside the home')
  symlinkSync(join(outside, 'secret.txt'), join(home, 'leak.yaml'))
  t.match(await outcome(() => door.readTextSync('leak.yaml')), /^home_path_refused: leak\.yaml: leads out of HERMES_HOME/, 'a symlink out of the home')
  symlinkSync(join(home, 'nowhere'), join(home, 'dangling.yaml'))
  t.equal(door.readTextSync('dangling.yaml'), null, 'a dangling symlink reads as missing')
  execFileSync('mkfifo', [join(home, 'fifo.yaml')])
  const started = Date.now()
  t.match(await outcome(() => door.readTextSync('fifo.yaml')), /^home_path_refused: fifo\.yaml: is a FIFO/, 'a FIFO, refused')
  t.ok(Date.now() - started < 1000, 'without blocking')
  t.match(await outcome(() => door.readTextSync('logs')), /is a directory/, 'a directory')
  symlinkSync('/dev/zero', join(home, 'zero.yaml'))
  t.match(await outcome(() => door.readTextSync('zero.yaml')), /^home_path_refused: zero\.yaml: leads out of HERMES_HOME \(to \/dev\/zero\)/, 'a device outside')
  t.match(await outcome(() => door.readTextSync('config.yaml/below')), /not a directory/, 'a path below a file')
  writeFileSync(join(home, 'big.yaml'), Buffer.alloc(2048))
  t.match(await outcome(() => door.readTextSync('big.yaml', 1024)), /2048 bytes, more than the 1024/, 'a file over the cap')
  // A directory of the home that is a symlink out of it: what is below it is refused.
  symlinkSync(outside, join(home, 'escape'))
  t.match(await outcome(() => door.readTextSync('escape/secret.txt')), /^home_path_refused: escape\/secret\.txt: leads out/, 'through a directory symlinked out')
  t.match(await outcome(async () => await door.openRead('escape/secret.txt')), /leads out/, 'openRead too')
  t.match(await outcome(async () => await door.openRead('fifo.yaml')), /is a FIFO/, 'openRead of a FIFO')
  t.equal(await door.openRead('logs/none.log'), null, 'openRead of a missing file: null')
  t.match(await outcome(() => door.regularFile('escape/secret.txt')), /leads out/, 'regularFile (state.db for SQLite)')
})

t.test('writes: logs/ is a checked directory; the log a regular file; failures name file and errno', async (t) => {
  const { home, outside } = scratch(t)
  const door = openHermesHome(home).profile('default')
  const h = await door.openAppend('logs/update.log')
  await h.write('line\n')
  await h.close()
  t.equal(readFileSync(join(home, 'logs', 'update.log'), 'utf8'), 'line\n', 'appended')
  execFileSync('mkfifo', [join(home, 'logs', 'fifo.log')])
  const started = Date.now()
  t.match(await outcome(() => door.openAppend('logs/fifo.log')), /^home_path_refused: logs\/fifo\.log: is a FIFO/, 'a FIFO log, refused')
  t.ok(Date.now() - started < 1000, 'without blocking (no reader needed)')
  symlinkSync(join(outside, 'secret.txt'), join(home, 'logs', 'link.log'))
  t.match(await outcome(() => door.openAppend('logs/link.log')), /^home_path_refused: logs\/link\.log: is a symbolic link/, 'a symlinked log is never written through')
  t.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'outside-secret', 'the target is untouched')

  const other = join(home, '..', 'other-home')
  mkdirSync(other)
  const door2 = openHermesHome(other).profile('default')
  symlinkSync(outside, join(other, 'logs'))
  t.match(await outcome(() => door2.openAppend('logs/update.log')), /^home_path_refused: logs: leads out of HERMES_HOME/, 'logs/ symlinked out of the home')
  t.notOk(existsSync(join(outside, 'update.log')), 'nothing was created outside')
  const inner = join(home, '..', 'inner-home')
  mkdirSync(join(inner, 'real-logs'), { recursive: true })
  symlinkSync(join(inner, 'real-logs'), join(inner, 'logs'))
  const h2 = await openHermesHome(inner).profile('default').openAppend('logs/ok.log')
  await h2.close()
  t.ok(existsSync(join(inner, 'real-logs', 'ok.log')), 'logs/ symlinked to a directory inside the home is fine')
  writeFileSync(join(home, 'notadir'), 'x')
  t.match(await outcome(() => door.openAppend('notadir/x.log')), /^home_path_refused: notadir: is not a directory/, 'a file where a directory should be')
})

t.test('a read-only home is a clear error, not a bare 500', async (t) => {
  const { home } = scratch(t)
  // A real read-only file system (tmpfs remounted ro): root ignores permission bits, not EROFS.
  const mnt = join(home, '..', 'ro')
  mkdirSync(mnt)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt])
  } catch {
    t.comment('cannot mount a tmpfs here; permission bits instead')
    chmodSync(mnt, 0o555)
    t.teardown(() => chmodSync(mnt, 0o755))
  }
  t.teardown(() => { try { execFileSync('umount', [mnt]) } catch {} })
  mkdirSync(join(mnt, 'logs'))
  try { execFileSync('mount', ['-o', 'remount,ro', mnt]) } catch {}
  const got = await outcome(() => openHermesHome(mnt).profile('default').openAppend('logs/update.log'))
  t.match(got, /^home_io_failed: logs\/update\.log: open for writing failed: (EROFS|EACCES)/, `the errno is named: ${got}`)
})

t.test('profiles: a name, a directory, inside the home', async (t) => {
  const { home, outside } = scratch(t)
  const door = openHermesHome(home)
  mkdirSync(join(home, 'profiles', 'alice'))
  t.equal(door.profile('alice').dir, join(home, 'profiles', 'alice'))
  t.equal(door.profile(null).isDefault, true)
  t.equal(door.profile('current').isDefault, true)
  t.match(await outcome(() => door.profile('../etc')), /^profile_invalid/)
  t.match(await outcome(() => door.profile('bob')), /^profile_not_found/)
  symlinkSync(outside, join(home, 'profiles', 'evil'))
  t.match(await outcome(() => door.profile('evil')), /^home_path_refused: profiles\/evil: leads out of HERMES_HOME/, 'a profile symlinked out of the home')
  writeFileSync(join(home, 'profiles', 'file'), 'x')
  t.match(await outcome(() => door.profile('file')), /^profile_not_found/, 'a file is no profile')
  mkdirSync(join(home, 'shared'))
  symlinkSync(join(home, 'shared'), join(home, 'profiles', 'carol'))
  t.equal(door.profile('carol').name, 'carol', 'a profile symlinked to a directory inside the home is fine')
})

t.test('parsed: once per change of the file', async (t) => {
  const { home } = scratch(t)
  const door = openHermesHome(home).profile('default')
  let parses = 0
  const parse = (text: string): string => { parses++; return text.trim() }
  writeFileSync(join(home, 'state.json'), 'one\n')
  t.equal(door.parsed('state.json', parse), 'one')
  t.equal(door.parsed('state.json', parse), 'one')
  t.equal(parses, 1, 'parsed once while unchanged')
  writeFileSync(join(home, 'state.json'), 'two\n')
  utimesSync(join(home, 'state.json'), new Date(), new Date(Date.now() + 5000))
  t.equal(door.parsed('state.json', parse), 'two', 'a change is seen')
  t.equal(parses, 2)
  rmSync(join(home, 'state.json'))
  t.equal(door.parsed('state.json', parse), null, 'a removed file')
  writeFileSync(join(home, 'state.json'), 'two\n')
  t.equal(door.parsed('state.json', parse), 'two', 'back again (a new inode)')
})
