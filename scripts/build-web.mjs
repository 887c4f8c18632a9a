// Copies the built-in page (web/src) to web/dist, the directory the server serves by default.
import { cpSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
rmSync(join(root, 'web', 'dist'), { recursive: true, force: true })
cpSync(join(root, 'web', 'src'), join(root, 'web', 'dist'), { recursive: true })
