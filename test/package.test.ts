// test/package.test.ts
// The npm package as a user gets it: `npm pack` of this tree (built by `npm test` just before), the
// tarball's contents (no source maps, tests, sources or code cache; the command line's bundle holds
// its dependencies but the native ones), then `npm install -g` of the tarball into a temporary
// prefix (dependencies from the npm cache that `npm ci` filled, native modules compiled by their
// install scripts) and the installed `hermes-dashboard` started: the page, its precompressed bundle,
// /api/status, a chat with the fixture program, and the code cache it writes beside itself. The
// install compiles better-sqlite3 and node-pty: about a minute and a half.

import t from 'tap'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { brotliDecompressSync } from 'node:zlib'
import { createFixtureHome } from './helpers/home.js'
import { PROJECT_ROOT } from './helpers/paths.js'
import { json, localPeer } from './helpers/peer.js'
import { PtyClient } from './helpers/pty-client.js'
import { chatFixture, startProgram, TEST_TOKEN } from './helpers/server.js'

const run = promisify(execFile)
const peer = localPeer()
const work = mkdtempSync(join(tmpdir(), 'hd-pack-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { name: string, version: string, dependencies: Record<string, string> }
// npm's own environment variables (npm_config_*, when the suite runs under `npm test`) would steer
// the nested npm: the prefix, the cache, a dry run. The nested one starts clean but for the cache.
const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))

t.test('npm pack: what the tarball holds', async (t) => {
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: PROJECT_ROOT, env: npmEnv, maxBuffer: 64 << 20 })
  const [info] = JSON.parse(stdout) as Array<{ filename: string, size: number, unpackedSize: number, files: Array<{ path: string, size: number }> }>
  if (info === undefined) throw new Error('npm pack printed no package')
  const files = info.files.map((f) => f.path)
  t.comment(`tarball ${info.filename}: ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${files.length} files`)
  t.ok(statSync(join(work, info.filename)).size === info.size, 'the tarball is where npm said')
  t.strictSame(files.filter((f) => f.endsWith('.map')), [], 'no source maps')
  t.strictSame(files.filter((f) => /^(test|src|bench|scripts)\//.test(f)), [], 'no tests, sources, benchmarks or build scripts')
  t.strictSame(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'no TypeScript sources')
  for (const need of ['dist/hermes-dashboard.cjs', 'dist/index.js', 'dist/index.d.ts', 'web/dist/index.html', 'web/dist/assets/app.js', 'web/dist/assets/app.js.br', 'web/dist/assets/app.js.gz', 'README.md', 'LICENSE']) {
    t.ok(files.includes(need), `holds ${need}`)
  }
  t.ok(info.size < 2 * 1024 * 1024, `under 2 MiB packed (${info.size} bytes)`)

  t.ok(files.includes('dist/hermes-dashboard.bundle.cjs'), 'holds the command line\'s bundle')
  t.strictSame(files.filter((f) => /\.v8cache|\.tmp$/.test(f)), [], 'no code cache: it is this machine\'s Node\'s, made again where the package is installed')

  // The launcher is only that; the command line's bundle holds its dependencies, but for the native
  // ones (they find their compiled files from their own directory) and those loaded by name.
  const launcher = readFileSync(join(PROJECT_ROOT, 'dist', 'hermes-dashboard.cjs'), 'utf8')
  t.ok(launcher.startsWith('#!/usr/bin/env node\n'), 'the launcher is a script for node')
  t.strictSame([...launcher.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] as string).filter((m) => !m.startsWith('node:')), [], 'the launcher requires Node\'s own modules only')
  t.ok(launcher.length < 8 * 1024, `the launcher is ${launcher.length} bytes`)
  const cli = readFileSync(join(PROJECT_ROOT, 'dist', 'hermes-dashboard.bundle.cjs'), 'utf8')
  for (const dep of ['fastify', '@fastify/websocket', '@fastify/static', '@fastify/cookie', '@fastify/reply-from', 'ws', 'zod/v3', 'ipaddr.js', 'pino']) {
    t.notOk(new RegExp(`(require|import)\\(["']${dep.replace(/[./]/g, '\\$&')}["']\\)`).test(cli), `${dep} is inside the bundle, not loaded from node_modules`)
  }
  // No import(): the launcher's vm.Script has no callback for it once compiled from the cache.
  const imports = cli.split('\n').filter((line) => /(^|[^\w.$])import\(/.test(line) && !/^\s*(\*|\/\/|\/\*)/.test(line))
  t.strictSame(imports, [], 'no import() in the bundle (but in its comments)')
  for (const dep of ['better-sqlite3', 'node-pty']) {
    t.ok(new RegExp(`require\\(["']${dep}["']\\)`).test(cli), `${dep} (native) is required from node_modules`)
    t.ok(dep in pkg.dependencies, `... and is a dependency, installed beside the bundle`)
  }
  // (t.ok, not t.match: a failure would print the 3.7 MB.)
  for (const dep of ['find-my-way', 'ws']) t.ok(cli.includes(`\n// node_modules/${dep}/`), `${dep}'s code is inside the bundle`)
})

t.test('npm install -g of the tarball into a temporary prefix; the installed command serves the page, status and a chat', { timeout: 600_000 }, async (t) => {
  const tarball = join(work, `${pkg.name}-${pkg.version}.tgz`)
  const prefix = join(work, 'prefix')
  const started = Date.now()
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', tarball], { env: npmEnv, maxBuffer: 64 << 20, timeout: 540_000 })
  t.comment(`npm install -g took ${((Date.now() - started) / 1000).toFixed(0)} s`)
  const bin = join(prefix, 'bin', 'hermes-dashboard')
  t.ok(statSync(bin).isFile(), 'the bin link is installed')
  const installed = join(prefix, 'lib', 'node_modules', pkg.name)
  t.ok(statSync(join(installed, 'node_modules', 'better-sqlite3')).isDirectory() || statSync(join(prefix, 'lib', 'node_modules', 'better-sqlite3')).isDirectory(), 'its dependencies came with it')

  const version = await run(bin, ['--version'], { env: { PATH: process.env.PATH } })
  t.equal(version.stdout.trim(), `hermes-dashboard ${pkg.version}`, '--version from the installed command')
  const cache = join(installed, 'dist', 'hermes-dashboard.bundle.v8cache')
  t.notOk(existsSync(cache), 'no code cache yet: the package has none, and --version writes none')

  const home = createFixtureHome()
  t.teardown(home.remove)
  const cli = await startProgram(t, [bin, '--port', '0', '--no-open', '--trust', 'token', '--hermes-home', home.dir, '--hermes-backend', 'off', '--chat-command', chatFixture('installed')], { HERMES_DASHBOARD_SESSION_TOKEN: TEST_TOKEN })
  const base = `http://127.0.0.1:${cli.port}`
  const headers = { 'X-Hermes-Session-Token': TEST_TOKEN }

  const status = await peer.http({ url: `${base}/api/status` })
  t.equal(status.status, 200, '/api/status: 200')
  t.equal((json(status).dashboard as { version: string }).version, pkg.version, '... from this version')

  const page = await peer.http({ url: `${base}/?token=${TEST_TOKEN}` })
  t.equal(page.status, 303, 'the token URL: 303 into the cookie')
  const index = await peer.http({ url: `${base}/`, headers })
  t.equal(index.status, 200, 'the page')
  t.match(index.body, /<script type="module" src="\/assets\/app\.js">/, '... naming its bundle')

  const plain = await peer.http({ url: `${base}/assets/app.js` })
  const br = await new Promise<{ encoding: string | undefined, body: Buffer }>((resolve, reject) => {
    import('node:http').then(({ request }) => {
      request(`${base}/assets/app.js`, { headers: { 'Accept-Encoding': 'br, gzip' } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }))
      }).on('error', reject).end()
    }, reject)
  })
  t.equal(br.encoding, 'br', 'the installed bundle is sent precompressed (its copy matched, whatever order npm extracted them in)')
  t.equal(brotliDecompressSync(br.body).toString('utf8'), plain.body, '... and decompresses to the file')

  const chat = new PtyClient(`ws://127.0.0.1:${cli.port}/api/pty?token=${TEST_TOKEN}`)
  t.ok(await chat.opened, 'a chat opens')
  await chat.waitFor('hermes> ')
  chat.type('hello from the installed package')
  await chat.waitFor('you said: hello from the installed package')
  t.pass('the fixture chat program answers through the installed server (node-pty built by the install)')
  await chat.close()
  t.equal(await cli.stop(), 0, 'SIGTERM: clean exit')
  // Written in the turn the server started listening (src/launcher.ts), so before the first answer.
  const digest = createHash('sha256').update(readFileSync(join(installed, 'dist', 'hermes-dashboard.bundle.cjs'))).digest()
  t.ok(existsSync(cache) && readFileSync(cache).subarray(0, digest.length).equals(digest), 'the installed command wrote its code cache beside its bundle')
})
