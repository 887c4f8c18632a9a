// Builds the built-in page into web/dist, the directory the server serves by default: index.html and
// the icon as they are, and the page's modules and styles bundled (with xterm.js from node_modules) into one
// assets/app.js and one assets/app.css, each with a gzip copy. Nothing is fetched from a CDN at run
// time.
import { build } from 'esbuild'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import zlib, { brotliCompressSync, gzipSync } from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'web', 'src')
const out = join(root, 'web', 'dist')
rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'assets'), { recursive: true })
cpSync(join(src, 'index.html'), join(out, 'index.html'))
cpSync(join(src, 'assets', 'favicon.svg'), join(out, 'assets', 'favicon.svg'))
await build({
  entryPoints: [join(src, 'assets', 'app.js'), join(src, 'assets', 'app.css')],
  outdir: join(out, 'assets'),
  bundle: true,
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
})

// Precompressed copies, sent to browsers that accept them (@fastify/static, preCompressed): xterm.js
// makes app.js about 360 KiB, under 100 KiB gzipped and less in brotli.
for (const name of ['app.js', 'app.css']) {
  const file = join(out, 'assets', name)
  const body = readFileSync(file)
  writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }))
  writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }))
}
