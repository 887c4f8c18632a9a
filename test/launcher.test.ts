// test/launcher.test.ts
// The command's launcher and its code cache (src/launcher.ts), on a copy of the built command (the
// launcher and the bundle, the rest of the package linked) so that the cache it writes is this
// test's: none written by a command that only prints; one written once the server listens, made
// from the bundle's bytes and taken by V8 on the next start (which then writes nothing, and whose
// chat and state.db read load the native modules from code compiled from the cache); a cache of
// other bytes, one V8 refuses, and a cache that cannot be written each leave a start that serves,
// and the first two are made again.

import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFixtureHome } from './helpers/home.js'
import { PROJECT_ROOT } from './helpers/paths.js'
import { localPeer } from './helpers/peer.js'
import { PtyClient } from './helpers/pty-client.js'
import { chatFixture, startProgram, TEST_TOKEN } from './helpers/server.js'

const peer = localPeer()
const pkg = mkdtempSync(join(tmpdir(), 'hd-launcher-'))
t.teardown(() => rmSync(pkg, { recursive: true, force: true }))
const dist = join(pkg, 'dist')
mkdirSync(dist)
for (const name of ['hermes-dashboard.cjs', 'hermes-dashboard.bundle.cjs']) copyFileSync(join(PROJECT_ROOT, 'dist', name), join(dist, name))
// What the bundle finds beside it: the read worker's modules, the page, the dependencies.
symlinkSync(join(PROJECT_ROOT, 'dist', 'hermes'), join(dist, 'hermes'))
for (const name of ['node_modules', 'web', 'package.json']) symlinkSync(join(PROJECT_ROOT, name), join(pkg, name))
const bin = join(dist, 'hermes-dashboard.cjs')
const cache = join(dist, 'hermes-dashboard.bundle.v8cache')
const digest = createHash('sha256').update(readFileSync(join(dist, 'hermes-dashboard.bundle.cjs'))).digest()
const home = createFixtureHome({ sessions: { active: 1, ended: 1, stale: 0 } })
t.teardown(home.remove)

/**
 * A start of the copy, one /api/status answered (the cache is written in the turn the server starts
 * listening), then, if asked, what loads the native modules: a chat (node-pty) and a read of
 * state.db (better-sqlite3); stopped.
 */
async function serve (t: Test, natives = false): Promise<void> {
  const cli = await startProgram(t, [process.execPath, bin, '--port', '0', '--no-open', '--trust', 'token', '--hermes-home', home.dir, '--hermes-command', 'true', '--hermes-backend', 'off', '--chat-command', chatFixture('launcher')], { HERMES_DASHBOARD_SESSION_TOKEN: TEST_TOKEN })
  const status = await peer.http({ url: `http://127.0.0.1:${cli.port}/api/status` })
  t.equal(status.status, 200, 'the server started by the launcher answers /api/status')
  if (natives) {
    const chat = new PtyClient(`ws://127.0.0.1:${cli.port}/api/pty?token=${TEST_TOKEN}`)
    t.ok(await chat.opened, 'a chat opens')
    await chat.waitFor('hermes> ')
    chat.type('hello from the cache')
    await chat.waitFor('you said: hello from the cache')
    t.pass('... and answers (node-pty loaded by code compiled from the cache)')
    await chat.close()
    const sessions = await peer.http({ url: `http://127.0.0.1:${cli.port}/api/sessions?limit=20`, headers: { 'X-Hermes-Session-Token': TEST_TOKEN } })
    t.equal(sessions.status, 200, '/api/sessions read natively (better-sqlite3 loaded by code compiled from the cache)')
    t.equal(sessions.headers['x-hermes-dashboard-source'], 'native', '... by this server, not a backend')
  }
  t.equal(await cli.stop(), 0, '... and exits cleanly')
}

const headerOf = (): Buffer => readFileSync(cache).subarray(0, digest.length)
const temporaries = (): string[] => readdirSync(dist).filter((n) => n.endsWith('.tmp'))

t.test('a command that only prints writes no cache', async (t) => {
  const version = await startProgram(t, [process.execPath, bin, '--version']).catch((err: Error) => err)
  t.match(String(version), /exited 0 before READY[\s\S]*hermes-dashboard \d/, '--version prints its version and exits 0')
  t.notOk(existsSync(cache), 'no cache written')
})

t.test('the first server start writes the cache; the next takes it', async (t) => {
  await serve(t)
  t.ok(existsSync(cache), 'written beside the bundle')
  t.ok(headerOf().equals(digest), '... beginning with the bundle\'s SHA-256')
  t.ok(statSync(cache).size > 100_000, `... then V8's data (${statSync(cache).size} bytes)`)
  const before = statSync(cache)
  await serve(t, true)
  const after = statSync(cache)
  // A cache V8 refused, or one the launcher did not read, would have been written again (renamed into place: another inode).
  t.equal(after.ino, before.ino, 'the next start took it as it is: not written again')
  t.strictSame(temporaries(), [], 'no temporary file left')
})

t.test('a cache made from other bytes is not used, and is made again', async (t) => {
  const file = readFileSync(cache)
  const other = Buffer.from(file)
  other[0] = (other[0] as number) ^ 0xff // the same V8 data under another bundle's digest
  writeFileSync(cache, other)
  await serve(t)
  t.ok(headerOf().equals(digest), 'written again for these bytes')
})

t.test('a cache V8 refuses (its data damaged) leaves a start that serves, and is made again', async (t) => {
  writeFileSync(cache, Buffer.concat([digest, Buffer.alloc(4096, 0x5a)]))
  await serve(t)
  t.ok(headerOf().equals(digest), 'the digest is this bundle\'s')
  t.ok(statSync(cache).size > 100_000, 'and the data V8\'s again, not the damaged bytes')
})

t.test('a cache that cannot be read or written leaves a start that serves', async (t) => {
  rmSync(cache)
  mkdirSync(join(cache, 'in-the-way'), { recursive: true }) // a directory where the file would be renamed
  await serve(t)
  t.ok(statSync(cache).isDirectory(), 'the directory is left as it was')
  t.strictSame(temporaries(), [], 'no temporary file left')
  rmSync(cache, { recursive: true })
})
