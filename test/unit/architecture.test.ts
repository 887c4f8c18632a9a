// test/unit/architecture.test.ts
// Where the file system may be touched. Routes never do it themselves; everything under
// HERMES_HOME goes through the home door (src/hermes/home.ts). The few other modules that import
// node:fs each touch something that is not the Hermes home, named here with the reason.

import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { PROJECT_ROOT } from '../helpers/paths.js'

const SRC = join(PROJECT_ROOT, 'src')

function files (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : []
  })
}

const IMPORT_RE = /(?:^|\n)\s*import\s[^;]*?from\s+'([^']+)'/g
function imports (file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT_RE)].map((m) => m[1] as string)
}

/** Modules allowed to import node:fs, and what they touch instead of HERMES_HOME. */
const FS_ALLOWED: Readonly<Record<string, string>> = {
  'hermes/home.ts': 'the home door itself',
  'hermes/state-db.ts': 'statSync of state.db\'s real path, which the home door checked, to see whether the file was replaced',
  'hermes/read-worker.ts': 'statSync of state.db\'s real path, which the home door checked, for its size (a large one has the read worker started with the server)',
  'hermes/state-worker.ts': 'the same, in the worker thread, for the path the main thread checked',
  'hermes/gateway.ts': '/proc/<pid>/stat (the gateway\'s start time); its HERMES_HOME files come through the door',
  'actions/tail.ts': 'types only: a FileHandle the door opened',
  'chat/active-session.ts': 'the server\'s private temporary directory of chat breadcrumbs',
  'processes/group.ts': 'PATH lookup of a command (access X_OK)',
  'backend/supervisor.ts': 'a private temporary directory holding the stub front end handed to Hermes\' own server',
  'web/static-files.ts': 'the web root (the built front end)',
  'cli.ts': 'existsSync of /.dockerenv and /run/.containerenv: whether it runs in a container',
  'web/precompressed.ts': 'the web root: a file and its precompressed siblings, compared',
  'hermes/gateway-command.ts': 'the first bytes of the `hermes` program found on PATH (its #! line names its Python)',
  'launcher.ts': 'the command line\'s bundle and its code cache, beside it in dist/',
}

t.test('routes import neither node:fs nor node:path', async (t) => {
  for (const file of files(join(SRC, 'routes'))) {
    const bad = imports(file).filter((m) => /^(node:)?(fs|path)(\/promises)?$/.test(m))
    t.strictSame(bad, [], relative(SRC, file))
  }
})

t.test('node:fs only where the list says why', async (t) => {
  for (const file of files(SRC)) {
    const rel = relative(SRC, file)
    const usesFs = imports(file).some((m) => /^(node:)?fs(\/promises)?$/.test(m))
    if (usesFs) t.ok(rel in FS_ALLOWED, `${rel} imports node:fs${rel in FS_ALLOWED ? `: ${FS_ALLOWED[rel]}` : ' without a reason listed here'}`)
  }
  for (const rel of Object.keys(FS_ALLOWED)) t.ok(imports(join(SRC, rel)).some((m) => /^(node:)?fs/.test(m)), `${rel} is listed and still needs it`)
})
