// Bundles the command line's own code into one file (dist/hermes-dashboard.cjs): start-up is mostly
// module loading, and one file instead of some fifty is faster to load. Its dependencies are not
// bundled: they are the package's dependencies, installed beside it, loaded from node_modules (one
// copy of each, shared with the library entry dist/index.js, which stays unbundled ESM for
// embedders). The bundle is CommonJS: nearly every dependency is CommonJS, and require() of them
// skips the ESM loader's resolution and export scanning of each one (about 60 ms of a 400 ms start
// on the bench machine). import.meta.url, which our modules use to find their files, is this file's.
import { build } from 'esbuild'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
await build({
  entryPoints: [join(root, 'src', 'cli.ts')],
  outfile: join(root, 'dist', 'hermes-dashboard.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  define: { 'import.meta.url': '__hd_import_meta_url' },
  banner: { js: 'const __hd_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  target: 'node20',
  packages: 'external',
  // No source map in the package: the code is the package's own, readable in dist/.
  sourcemap: false,
  logLevel: 'warning',
})
