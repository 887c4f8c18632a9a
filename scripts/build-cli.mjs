// Builds the command: dist/hermes-dashboard.bundle.cjs, the command line with every dependency but
// the native ones in one file, and dist/hermes-dashboard.cjs, the launcher that runs it compiled
// from V8's code cache (src/launcher.ts); then starts the command once, so that the cache is made
// here (an image or a read-only install gets it from its build).
//
// Start-up is mostly loading and compiling JavaScript. One file spares Node's resolution of
// hundreds (516 of the dependencies' files are in it; a stat, a package.json and a read each), and
// the cache spares the compile: on the bench machine, spawn → first /api/status went from about 430
// to about 250 ms. Native modules (better-sqlite3, node-pty) find their compiled .node files from
// their own directory, so they stay in node_modules, as do the optional speed-ups of ws and
// pino-pretty (loaded by name when asked for). The library entry dist/index.js stays unbundled ESM
// for embedders. CommonJS: nearly every dependency is, and import.meta.url, which our modules use
// to find their files, is the bundle's own (in dist/ beside the launcher, as dist/*.js is).
import { build } from 'esbuild'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  define: { 'import.meta.url': '__hd_import_meta_url' },
  banner: { js: 'const __hd_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  target: 'node20',
  // No source map in the package: the code is readable in dist/.
  sourcemap: false,
  logLevel: 'warning',
}
const { outputFiles: [out] } = await build({
  ...common,
  entryPoints: [join(root, 'src', 'cli.ts')],
  outfile: join(dist, 'hermes-dashboard.bundle.cjs'),
  external: ['better-sqlite3', 'node-pty', 'bufferutil', 'utf-8-validate'],
  // import() of the native modules (loaded when first needed) as require(): the launcher compiles
  // the bundle as a vm.Script, whose functions compiled from a code cache have lost the script's
  // dynamic import callback (import() in them throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). Both
  // modules are CommonJS.
  supported: { 'dynamic-import': false },
  write: false,
})
// esbuild escapes what is not ASCII in strings and names, not in the comments it keeps (a few
// dozen characters); escaped there too, the bundle is ASCII, which the launcher reads as a one-byte
// string (latin1: a quarter of utf8's decoding time for these 3.7 MB). A \u escape means the same
// character in a string, a template, a regular expression or a name, and in a comment nothing.
writeFileSync(out.path, out.text.replace(/[^\x00-\x7f]/gu, (c) => {
  const code = c.codePointAt(0)
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`
}))
await build({ ...common, entryPoints: [join(root, 'src', 'launcher.ts')], outfile: join(dist, 'hermes-dashboard.cjs'), packages: 'external' })

// The cache: the command started as a user would, on an empty home, until it has written it.
const bundle = readFileSync(join(dist, 'hermes-dashboard.bundle.cjs'))
const digest = createHash('sha256').update(bundle).digest()
const cache = join(dist, 'hermes-dashboard.bundle.v8cache')
const made = () => existsSync(cache) && readFileSync(cache).subarray(0, digest.length).equals(digest)
const home = mkdtempSync(join(tmpdir(), 'hd-build-'))
const child = spawn(process.execPath, [join(dist, 'hermes-dashboard.cjs'), '--port', '0', '--no-open', '--hermes-home', home, '--hermes-command', 'true', '--hermes-backend', 'off'], {
  env: { PATH: process.env.PATH, HOME: home },
  stdio: ['ignore', 'ignore', 'pipe'],
})
let err = ''
child.stderr.on('data', (d) => { err = (err + d).slice(-2000) })
const exited = new Promise((resolve) => child.once('exit', resolve))
for (let i = 0; i < 400 && !made() && child.exitCode === null; i++) await sleep(50) // at most 20 s
child.kill('SIGTERM')
await exited
rmSync(home, { recursive: true, force: true })
// Only a start made slower: the command compiles without a cache, and writes one if it can.
if (!made()) console.warn(`build-cli: no code cache was written (the command ${child.exitCode !== null ? `exited ${child.exitCode}` : 'did not write it in 20 s'}) ${err}`)
