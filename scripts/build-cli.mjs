// Bundles the command line into one file (dist/hermes-dashboard.mjs). Start-up is mostly module
// loading; one file instead of a few hundred takes about a third off the time to the first answer.
// The library entry (dist/index.js) stays unbundled for programs that embed the dashboard.
import { build } from 'esbuild'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
await build({
  entryPoints: [join(root, 'src', 'cli.ts')],
  outfile: join(root, 'dist', 'hermes-dashboard.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native or optional modules are loaded from node_modules at run time.
  external: ['better-sqlite3', 'node-pty', 'bufferutil', 'utf-8-validate'],
  // Bundled CommonJS (fastify, ws) calls require; give the ES module one.
  banner: { js: "import { createRequire as __hdRequire } from 'node:module'; const require = __hdRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
})
