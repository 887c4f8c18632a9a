// test/helpers/paths.ts
// Where things are, for tests.

import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures')
export const ARTIFACTS = join(PROJECT_ROOT, 'test', 'artifacts')
// What users run: the bundled command line named by package.json's bin.
export const CLI = join(PROJECT_ROOT, 'dist', 'hermes-dashboard.cjs')
