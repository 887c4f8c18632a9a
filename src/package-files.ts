// src/package-files.ts
// Where the package's own files are. This module runs as dist/package-files.js, or bundled into
// dist/hermes-dashboard.bundle.cjs (whose import.meta.url is the bundle's): one level under the
// package root either way.

import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The read worker's thread (hermes/state-worker.ts). */
export const STATE_WORKER_FILE = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'hermes', 'state-worker.js'))
