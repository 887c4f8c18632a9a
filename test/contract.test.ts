// test/contract.test.ts
// The native read routes against each known Hermes release's contract:
// - on a home of this project's own making (test/fixtures/make-hermes-home.mjs) at that release's
//   schema, every route's answer has the shape recorded in test/fixtures/contracts/<release>.json
//   (key order and JSON types), and says X-Hermes-Dashboard-Source: native;
// - on a copy of the reference home the real Python server answered from (../shared/reference),
//   every answer equals what it answered, value for value (floats to 1e-9: SQLite here sums REALs
//   with compensation, the Python's older SQLite does not), key order included;
// - an unknown release, or a state.db at another schema than the release writes, is answered by
//   Hermes' own server (the fixture backend), and says so in /api/status.

import t from 'tap'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { FIXTURES, PROJECT_ROOT } from './helpers/paths.js'
import { startServer, TEST_TOKEN } from './helpers/server.js'
// @ts-expect-error: a plain ES module shared with the benchmark
import { makeLogs, makeStateDb } from './fixtures/make-hermes-home.mjs'

const peer = localPeer()
const AUTH = { 'X-Hermes-Session-Token': TEST_TOKEN }
const REFERENCE = join(PROJECT_ROOT, '..', 'shared', 'reference')

interface Shape { type: string, keys?: string[], fields?: Record<string, Shape>, items?: Shape | null }

/** Where `value` departs from `shape`: key order and types (null in the shape: any type). */
function shapeProblems (value: unknown, shape: Shape | null | undefined, path: string): string[] {
  if (shape === null || shape === undefined || shape.type === 'null') return []
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  if (actual === 'null') return []
  if (actual !== shape.type) return [`${path}: ${actual}, expected ${shape.type}`]
  if (shape.type === 'object' && shape.keys !== undefined && Object.keys(shape.fields ?? {}).length > 0) {
    const keys = Object.keys(value as object)
    // Keys the example did not have to show may appear (a _lineage_root_id, a profile), after the rest.
    const common = keys.filter((k) => shape.keys?.includes(k))
    const expected = (shape.keys ?? []).filter((k) => keys.includes(k))
    const missing = (shape.keys ?? []).filter((k) => !keys.includes(k))
    const problems = missing.length > 0 ? [`${path}: missing ${missing.join(', ')}`] : []
    if (common.join(',') !== expected.join(',')) problems.push(`${path}: key order ${common.join(',')} vs ${expected.join(',')}`)
    return [...problems, ...common.flatMap((k) => shapeProblems((value as Record<string, unknown>)[k], shape.fields?.[k], `${path}.${k}`))]
  }
  if (shape.type === 'array' && Array.isArray(value)) return value.slice(0, 3).flatMap((v, i) => shapeProblems(v, shape.items, `${path}[${i}]`))
  return []
}

/** Value differences (floats compared to 1e-9 relative), keys in order. */
function valueProblems (a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) ? [] : [`${path}: ${a} vs ${b}`]
  if (Array.isArray(a) && Array.isArray(b)) return a.length !== b.length ? [`${path}: ${a.length} items vs ${b.length}`] : a.flatMap((x, i) => valueProblems(x, b[i], `${path}[${i}]`))
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).join(',')
    const kb = Object.keys(b).join(',')
    if (ka !== kb) return [`${path}: keys ${ka} vs ${kb}`]
    return Object.keys(a).flatMap((k) => valueProblems((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`))
  }
  return a === b ? [] : [`${path}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`]
}

const RELEASES = [
  { contract: 'v0.13', schema: 11, version: '0.13.0', golden: 'v0.13-golden/responses.json', goldenHome: ['v0.13-golden/home'] },
  { contract: 'v0.18', schema: 21, version: '0.18.2', golden: 'v0.18.2-golden/responses-reads.json', goldenHome: ['v0.13-golden/home', 'v0.18.2-golden/home'] },
] as const

for (const rel of RELEASES) {
  t.test(`${rel.contract}: every native route has the release's shape, on a home of our own`, async (t) => {
    const home = createFixtureHome({ profiles: ['alice'] })
    t.teardown(home.remove)
    makeStateDb(join(home.dir, 'state.db'), { schema: rel.schema, sessions: 30, messagesPerSession: 9, seed: 7 })
    makeLogs(home.dir)
    // The fixture `hermes version` says which release is installed.
    const s = await startServer(t, { hermesHome: home.dir }, { HERMES_FIXTURE_VERSION: rel.version })
    const contract = JSON.parse(readFileSync(join(FIXTURES, 'contracts', `${rel.contract}.json`), 'utf8')) as { routes: Record<string, { example: string, shape: Shape }> }
    // Wait (bounded) for the version probe: until then the release is not known.
    for (let i = 0; i < 100 && json(await peer.http({ url: `${s.url}/api/status` })).version !== rel.version; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    const first = json<{ sessions: Array<{ id: string }> }>(await peer.http({ url: `${s.url}/api/sessions?limit=5`, headers: AUTH })).sessions[0]?.id as string
    t.ok(first !== undefined, 'the list has sessions')
    for (const [route, spec] of Object.entries(contract.routes)) {
      const url = spec.example.replace(/\/api\/sessions\/[^/?]+(?=\/|$)/, (m) => (/\/(search|stats|empty)$/.test(m) ? m : `/api/sessions/${first}`))
      const r = await peer.http({ url: `${s.url}${url}`, headers: AUTH })
      t.equal(r.status, 200, `${route}: 200`)
      t.equal(r.headers['x-hermes-dashboard-source'], 'native', `${route}: native`)
      t.strictSame(shapeProblems(json(r), spec.shape, route), [], `${route}: the shape of ${rel.contract}`)
    }
    const st = json<{ dashboard: { reads: Record<string, string> } }>(await peer.http({ url: `${s.url}/api/status`, headers: AUTH }))
    t.equal(st.dashboard.reads.default, `native: ${rel.contract}`, '/api/status says how reads are answered')
  })

  t.test(`${rel.contract}: the same answers as the real Python server, on the reference home`, async (t) => {
    const goldenFile = join(REFERENCE, rel.golden)
    if (!existsSync(goldenFile)) {
      t.fail(`REQUIREMENT MISSING: ${goldenFile} (../shared beside the checkout)`)
      return
    }
    const dir = mkdtempSync(join(tmpdir(), 'hd-reference-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    for (const part of rel.goldenHome) cpSync(join(REFERENCE, part), dir, { recursive: true })
    const s = await startServer(t, { hermesHome: dir }, { HERMES_FIXTURE_VERSION: rel.version })
    for (let i = 0; i < 100 && json(await peer.http({ url: `${s.url}/api/status` })).version !== rel.version; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    const golden = JSON.parse(readFileSync(goldenFile, 'utf8')) as Array<{ method: string, path: string, status: number, json: unknown }>
    let compared = 0
    for (const g of golden) {
      // The agent log grew while the reference server ran (it logs there itself); the rest is read-only.
      if (g.method !== 'GET' || !/^\/api\/(sessions|analytics|logs)/.test(g.path) || g.path.startsWith('/api/logs?file=agent')) continue
      const r = await peer.http({ url: `${s.url}${g.path}`, headers: AUTH })
      t.equal(r.status, g.status, `${g.path}: ${g.status}`)
      t.strictSame(valueProblems(json(r), g.json), [], `${g.path}: as the Python server answered`)
      compared++
    }
    t.ok(compared >= (rel.contract === 'v0.13' ? 7 : 13), `${compared} routes compared`)

    // /api/status: the release's fields in its order, and its values, but for where this home is
    // (the paths), what the fixture `hermes version` says, and whether this machine is a container.
    const theirs = golden.find((g) => g.path === '/api/status')?.json as Record<string, unknown>
    const answer = await peer.http({ url: `${s.url}/api/status`, headers: AUTH })
    t.equal(answer.headers['content-type'], 'application/json; charset=utf-8', 'status: JSON, as Fastify types an object')
    const ours = json<Record<string, unknown>>(answer)
    t.ok(typeof ours.dashboard === 'object' && Object.keys(ours).at(-1) === 'dashboard', 'the dashboard\'s own part is there, last')
    // Asked without a credential: the dashboard's name and state, none of this host's details.
    const anon = json<{ dashboard: { backend: object } } & Record<string, unknown>>(await peer.http({ url: `${s.url}/api/status` }))
    t.strictSame(Object.keys(anon.dashboard), ['name', 'version', 'trust_mode', 'backend'], 'status, no credential: the dashboard part without its reads')
    t.strictSame(Object.keys(anon.dashboard.backend), ['mode', 'state', 'kind'], 'status, no credential: the backend\'s mode and state only')
    t.notOk('hermes_home' in anon, 'status, no credential: no paths of this host')
    delete ours.dashboard
    t.strictSame(Object.keys(ours), Object.keys(theirs), `status: the fields of ${rel.contract}, in its order`)
    const local = new Set(['version', 'release_date', 'hermes_home', 'config_path', 'env_path', 'can_update_hermes'])
    for (const k of Object.keys(theirs).filter((k) => !local.has(k))) t.strictSame(ours[k], theirs[k], `status.${k}: ${JSON.stringify(theirs[k])}`)
  })
}

t.test('an unknown release, or a schema the release does not write: Hermes\' own server answers', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  makeStateDb(join(home.dir, 'state.db'), { schema: 21, sessions: 3 })
  for (const [what, version] of [['a release this project does not know', '0.99.1'], ['v0.13 on a schema-21 database', '0.13.0']] as const) {
    const s = await startServer(t, { hermesHome: home.dir, hermesBackend: 'auto' }, { HERMES_FIXTURE_VERSION: version }, { backendTiming: { startPollMs: 50, readyWaitMs: 10_000 } })
    for (let i = 0; i < 100 && json(await peer.http({ url: `${s.url}/api/status` })).version !== version; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    const r = await peer.http({ url: `${s.url}/api/sessions?limit=5`, headers: AUTH })
    t.equal(r.headers['x-hermes-dashboard-source'], 'backend', `${what}: forwarded`)
    const st = json<{ dashboard: { reads: Record<string, string> } }>(await peer.http({ url: `${s.url}/api/status`, headers: AUTH }))
    t.match(st.dashboard.reads.default, /^forwarded: /, `${what}: /api/status says why (${st.dashboard.reads.default})`)
    await s.close()
  }
})
