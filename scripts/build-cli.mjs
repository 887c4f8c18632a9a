// Bundles the command line's own code into one file (dist/hermes-dashboard.mjs): start-up is mostly
// module loading, and one file instead of some fifty is faster to load. Its dependencies are not
// bundled: they are the package's dependencies, installed beside it, loaded from node_modules (one
// copy of each, shared with the library entry dist/index.js, which stays unbundled for embedders).
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
  packages: 'external',
  // No source map in the package: the code is the package's own, readable in dist/.
  sourcemap: false,
  logLevel: 'warning',
})
