// test/errors-docs.test.ts
// docs/errors.md and src/errors.ts list the same codes, in both directions, with the same reasons,
// HTTP statuses and close codes; reasons are unique, close codes are in the ranges the front end knows.

import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ERRORS, type ErrorCode } from '../src/errors.js'
import { PROJECT_ROOT } from './helpers/paths.js'

const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'errors.md'), 'utf8')
const rows = new Map<string, { reason: string, status: number, close: number }>()
for (const m of doc.matchAll(/^\| `(HD_ERR_[A-Z_]+)` \| `([a-z_]+)` \| (\d{3}) \| (\d{4}) \|/gm)) {
  rows.set(m[1] as string, { reason: m[2] as string, status: Number(m[3]), close: Number(m[4]) })
}

t.test('every code in the registry is documented as it is', async (t) => {
  for (const [code, spec] of Object.entries(ERRORS) as Array<[ErrorCode, (typeof ERRORS)[ErrorCode]]>) {
    t.same(rows.get(code), { reason: spec.reason, status: spec.status, close: spec.close }, code)
    t.match(code, /^HD_ERR_[A-Z_]+$/)
    t.ok(spec.meaning.length > 10, `${code} has a meaning`)
  }
})

t.test('the docs list no code that does not exist', async (t) => {
  for (const code of rows.keys()) t.ok(code in ERRORS, `${code} exists in src/errors.ts`)
  t.equal(rows.size, Object.keys(ERRORS).length)
})

t.test('reasons are unique; statuses and close codes are sane', async (t) => {
  const reasons = Object.values(ERRORS).map((e) => e.reason)
  t.equal(new Set(reasons).size, reasons.length)
  for (const e of Object.values(ERRORS)) {
    t.ok(e.status >= 400 && e.status < 600, `${e.reason} status`)
    t.ok((e.close >= 4000 && e.close < 5000) || [1003, 1008, 1009, 1011, 1013].includes(e.close), `${e.reason} close code`)
    // A 4xx status goes with a 44xx close code where the browser should not simply retry.
    if (e.close >= 4400 && e.close < 4500 && e.status < 500) t.equal(Math.floor(e.status / 100), 4, `${e.reason} family`)
  }
})

t.test('docs/configuration.md names every flag, variable and config key', async (t) => {
  const { OPTIONS } = await import('../src/config/options.js')
  const page = readFileSync(join(PROJECT_ROOT, 'docs', 'configuration.md'), 'utf8')
  for (const o of Object.values(OPTIONS) as Array<{ flag: string, env?: readonly string[], yaml?: string }>) {
    t.ok(page.includes(`\`--${o.flag}`), `--${o.flag}`)
    for (const e of o.env ?? []) t.ok(page.includes(`\`${e}\``), e)
    if (o.yaml !== undefined) t.ok(page.includes(`\`dashboard.${o.yaml}\``), `dashboard.${o.yaml}`)
  }
})
