// test/docker.test.ts
// The Docker image, built and run here with Debian's podman: no Docker engine and no image registry.
// scripts/docker-base.sh makes the base images (Debian bookworm minbase + Node 22; kept, so later
// runs reuse them), `podman build` makes the project image from the Dockerfile, and a container runs
// it on a fixture HERMES_HOME mounted as /data, its port published on 127.0.0.1. Through that port:
// /api/status, the ?token= page and its cookie, a native read from state.db (better-sqlite3 built in
// the image), /api/pub → /api/events over WebSockets; inside: not root, tini as PID 1, the image's
// code cache is its Node's, the HEALTHCHECK passes; then `podman stop` (SIGTERM) ends it cleanly
// with exit code 0.
// When podman cannot run containers here the test fails with REQUIREMENT MISSING (never passes).

import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { chownSync, lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { PROJECT_ROOT } from './helpers/paths.js'
import { freePort } from './helpers/proc.js'
import { missing, requireProgram } from './helpers/requirements.js'

// The first run debootstraps the base images (about 2 minutes here) before the project build (about
// 2 minutes); tap's default of 300 s per file is too short for both on a slow machine.
t.setTimeout(45 * 60_000)

const BASE_IMAGE = process.env.HD_BASE_IMAGE ?? 'localhost/hermes-dashboard-base:bookworm-node22'
const BUILD_BASE_IMAGE = process.env.HD_BUILD_BASE_IMAGE ?? `${BASE_IMAGE}-build`
const IMAGE = process.env.HD_DOCKER_IMAGE ?? 'localhost/hermes-dashboard:test'
const CONTAINERS_CONF = process.env.HD_CONTAINERS_CONF ?? '/var/tmp/hermes-dashboard-docker/containers.conf'
/** The container network scripts/docker-base.sh makes, on a subnet no other test uses. */
const NETWORK = process.env.HD_PODMAN_NETWORK ?? 'hermes-dashboard-test'
/** The build context: the checkout (HD_DOCKER_CONTEXT points elsewhere, e.g. an exported commit). */
const CONTEXT = process.env.HD_DOCKER_CONTEXT ?? PROJECT_ROOT
/** The image's user (Dockerfile: USER 10000:10000, the UID of Hermes' own image). */
const IMAGE_UID = 10000

// This process's NODE_OPTIONS (tap's loaders) are for this process only, not for the npm and node
// that scripts/docker-base.sh runs.
const hostEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('TAP')))
const podmanEnv = { ...hostEnv, CONTAINERS_CONF }

interface Ran { readonly code: number | null, readonly stdout: string, readonly stderr: string, readonly ms: number, readonly timedOut: boolean }

/** Runs a command to its end, or kills it (its whole process group) after timeoutMs. */
function run (cmd: string, args: readonly string[], timeoutMs: number, opts: { env?: NodeJS.ProcessEnv, onLine?: (line: string) => void } = {}): Promise<Ran> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? podmanEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const onData = (which: 'out' | 'err') => (c: Buffer): void => {
      const s = c.toString()
      if (which === 'out') stdout += s
      else stderr += s
      if (opts.onLine !== undefined) for (const line of s.split('\n')) if (line.trim() !== '') opts.onLine(line)
    }
    child.stdout.on('data', onData('out'))
    child.stderr.on('data', onData('err'))
    const kill = (signal: NodeJS.Signals): void => {
      try { process.kill(-(child.pid as number), signal) } catch { /* already gone */ }
    }
    const timer = setTimeout(() => {
      timedOut = true
      kill('SIGTERM')
      setTimeout(() => kill('SIGKILL'), 5000).unref()
    }, timeoutMs)
    child.on('error', (err) => { clearTimeout(timer); resolve({ code: 127, stdout, stderr: stderr + err.message, ms: Date.now() - started, timedOut }) })
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, ms: Date.now() - started, timedOut }) })
  })
}

const podman = (args: readonly string[], timeoutMs = 60_000): Promise<Ran> => run('podman', args, timeoutMs)
const tail = (s: string, lines = 40): string => s.trimEnd().split('\n').slice(-lines).join('\n')
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function chownTree (path: string, uid: number): void {
  chownSync(path, uid, uid)
  if (!lstatSync(path).isDirectory()) return
  for (const name of readdirSync(path)) chownTree(join(path, name), uid)
}

function setCookie (headers: Record<string, string | string[] | undefined>): string[] {
  const v = headers['set-cookie']
  return Array.isArray(v) ? v : v === undefined ? [] : [v]
}

// The launcher's own test of a cache: made from these bytes (its SHA-256 first), and V8's data
// accepted for the bundle's text as the launcher compiles it.
const CACHE_CHECK = [
  "const { readFileSync } = require('node:fs'), { isAscii } = require('node:buffer'), { Script } = require('node:vm')",
  "const file = '/app/dist/hermes-dashboard.bundle.cjs', bytes = readFileSync(file), cache = readFileSync('/app/dist/hermes-dashboard.bundle.v8cache')",
  "const digest = require('node:crypto').createHash('sha256').update(bytes).digest()",
  "if (!cache.subarray(0, 32).equals(digest)) { console.log('made from other bytes'); process.exit(0) }",
  "const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8')",
  "const script = new Script('(function (exports, require, module, __filename, __dirname) {' + source + '\\n})', { filename: file, cachedData: cache.subarray(32) })",
  "console.log(script.cachedDataRejected ? 'refused by V8' : 'taken')",
].join('\n')

t.test('the Docker image: built with podman, run on a fixture home, stopped cleanly', async (t) => {
  if (process.getuid?.() !== 0) {
    missing(t, 'root: rootful podman, debootstrap and chroot make and run the image (run the tests as root on Debian)')
    return
  }

  // ---------- podman and the base images ----------
  const base = await run('sh', [join(PROJECT_ROOT, 'scripts', 'docker-base.sh')], 20 * 60_000, {
    env: { ...hostEnv, HD_BASE_IMAGE: BASE_IMAGE, HD_BUILD_BASE_IMAGE: BUILD_BASE_IMAGE, HD_CONTAINERS_CONF: CONTAINERS_CONF, HD_PODMAN_NETWORK: NETWORK },
  })
  const baseLog = `${base.stdout}\n${base.stderr}`
  for (const line of base.stdout.split('\n')) if (line.startsWith('docker-base:')) t.comment(line)
  if (base.code === 3) {
    missing(t, `podman cannot be used here: ${tail(base.stderr, 10)}`)
    return
  }
  if (!t.equal(base.code, 0, `scripts/docker-base.sh made or reused the base images (${Math.round(base.ms / 1000)} s)`, { log: tail(baseLog), timedOut: base.timedOut })) return
  if (!requireProgram(t, 'podman', 'scripts/docker-base.sh installs it with apt-get as root')) return

  // A container at all: if even this fails, podman truly cannot run containers on this machine.
  const smoke = await podman(['run', '--rm', '--pull=never', '--network=none', BASE_IMAGE, '/usr/local/bin/node', '-e', 'process.exit(0)'], 120_000)
  if (smoke.code !== 0) {
    missing(t, `podman cannot run a container here (podman run ${BASE_IMAGE} node): ${tail(smoke.stderr, 10)}`)
    return
  }
  t.pass('podman runs containers here')

  // ---------- the project image ----------
  // No layer cache: a fresh checkout misses it anyway, and cached layers would pile up run after run.
  await podman(['rmi', '-f', IMAGE])
  let lastBuildLine = ''
  const build = await run('podman', ['build', '--format', 'docker', '--pull=never', '--network=host', '--layers=false', '--force-rm',
    '-t', IMAGE, '-f', join(CONTEXT, 'Dockerfile'), CONTEXT], 20 * 60_000, { onLine: (l) => { lastBuildLine = l } })
  if (!t.equal(build.code, 0, `podman build (${Math.round(build.ms / 1000)} s)`, { log: tail(`${build.stdout}\n${build.stderr}`, 60), timedOut: build.timedOut, lastBuildLine })) return
  const size = await podman(['image', 'inspect', '--format', '{{.Size}}', IMAGE])
  const baseSize = await podman(['image', 'inspect', '--format', '{{.Size}}', BASE_IMAGE])
  const config = await podman(['image', 'inspect', '--format', '{{json .Config}}', IMAGE])
  const cfg = JSON.parse(config.stdout) as { User?: string, ExposedPorts?: Record<string, unknown>, Volumes?: Record<string, unknown>, Env?: string[], Entrypoint?: string[] }
  // The HEALTHCHECK is not part of the OCI config podman shows as .Config; it has its own field.
  const healthcheck = await podman(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', IMAGE])
  t.equal(cfg.User, `${IMAGE_UID}:${IMAGE_UID}`, 'the image runs as a non-root user')
  t.ok(cfg.ExposedPorts?.['9119/tcp'] !== undefined, 'EXPOSE 9119')
  t.ok(cfg.Volumes?.['/data'] !== undefined, 'VOLUME /data')
  for (const e of ['HERMES_HOME=/data', 'HERMES_DASHBOARD_HOST=0.0.0.0', 'HERMES_DASHBOARD_BACKEND=off']) t.ok(cfg.Env?.includes(e), `ENV ${e}`)
  t.notOk(cfg.Env?.some((e) => /^HERMES_DASHBOARD_(TRUST|INSECURE)=/.test(e)), 'nothing weakens the trust mode')
  t.equal(cfg.Entrypoint?.[0], '/usr/bin/tini', 'tini is the entrypoint')
  t.match(healthcheck.stdout, /"Test":\["CMD","node","-e",.*\/api\/status/, 'the HEALTHCHECK is kept (--format docker)')

  // ---------- a container on a fixture home ----------
  const home = createFixtureHome({ sessions: { active: 1, ended: 1, stale: 0 } })
  t.teardown(home.remove)
  chownTree(home.dir, IMAGE_UID) // the image's user owns its data volume
  const port = await freePort()
  const name = `hd-test-${process.pid}-${Date.now()}`
  t.teardown(async () => { await podman(['rm', '-f', '-t', '0', name]) })
  const started = await podman(['run', '-d', '--pull=never', '--name', name, '--network', NETWORK, '-v', `${home.dir}:/data`, '-p', `127.0.0.1:${port}:9119`, IMAGE])
  if (!t.equal(started.code, 0, 'podman run -d', { stderr: tail(started.stderr) })) return

  // The READY line and the URL with the session token, from the container's log.
  let logs = ''
  let token = ''
  for (let i = 0; i < 150; i++) {
    const l = await podman(['logs', name], 10_000)
    logs = `${l.stdout}${l.stderr}`
    const m = /\?token=([A-Za-z0-9_%-]+)/.exec(logs)
    if (/^HERMES_DASHBOARD_READY port=9119$/m.test(logs) && m !== null) { token = decodeURIComponent(m[1] as string); break }
    const state = await podman(['inspect', '--format', '{{.State.Status}}', name], 10_000)
    if (state.stdout.trim() === 'exited') break
    await sleep(200)
  }
  if (!t.ok(token !== '', 'READY line and the ?token= URL within 30 s', { logs: tail(logs) })) return
  t.match(logs, /Hermes dashboard → http:\/\/127\.0\.0\.1:9119\/\?token=\S+\n {2}\(in a container: open the host port this one is published on\)\n/, 'the URL to open, with the token, and no container-internal address')
  t.match(logs, /Trust mode: token; Hermes home: \/data/, 'token mode on the volume')

  const url = `http://127.0.0.1:${port}`
  const peer = localPeer()
  const status = await peer.http({ url: `${url}/api/status` })
  t.equal(status.status, 200, '/api/status through the published port')
  const dashboard = (json(status).dashboard ?? {}) as { trust_mode?: string, backend?: { mode?: string } }
  t.equal(dashboard.backend?.mode, 'off', 'dashboard.backend.mode is "off": no Hermes in the image')
  t.equal(dashboard.trust_mode, 'token')

  // Token mode: nothing without the token; ?token= once gives the cookie; the page with it.
  const refused = await peer.http({ url: `${url}/` })
  t.equal(refused.status, 401, 'the page without the token: refused (the bridge is not loopback)')
  const given = await peer.http({ url: `${url}/?token=${encodeURIComponent(token)}` })
  t.equal(given.status, 303, '?token= answers 303')
  t.equal(given.headers.location, '/', '… to /')
  const cookies = setCookie(given.headers)
  t.ok(cookies.length > 0 && cookies.some((c) => c.includes(token)), 'with the session cookie')
  const cookie = cookies.map((c) => c.split(';')[0]).join('; ')
  const page = await peer.http({ url: `${url}/`, headers: { Cookie: cookie } })
  t.equal(page.status, 200, 'GET / with the cookie: 200')
  t.match(page.headers['content-type'], /text\/html/, '… html')

  // A native read from state.db: better-sqlite3, compiled in the build stage, loads in the image.
  const sessions = await peer.http({ url: `${url}/api/sessions?limit=20`, headers: { 'X-Hermes-Session-Token': token } })
  t.equal(sessions.status, 200, '/api/sessions read natively from the volume\'s state.db', { body: sessions.body.slice(0, 500) })
  if (sessions.status === 200) t.equal((json(sessions).sessions as unknown[]).length, 2, 'both fixture sessions')

  // /api/pub → /api/events through the published port.
  const sub = peer.ws({ url: `ws://127.0.0.1:${port}/api/events?channel=x&token=${encodeURIComponent(token)}` })
  t.equal((await sub.opened()).event, 'open', 'WebSocket /api/events opens')
  const pub = peer.ws({ url: `ws://127.0.0.1:${port}/api/pub?channel=x&token=${encodeURIComponent(token)}` })
  t.equal((await pub.opened()).event, 'open', 'WebSocket /api/pub opens')
  const frame = JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'docker.test', payload: { n: 1 } } })
  pub.send(frame)
  t.same(await sub.message(), { event: 'message', data: frame }, 'what is published arrives on /api/events')
  pub.close()
  sub.close()

  // Inside: not root; tini is PID 1.
  const uid = await podman(['exec', name, 'id', '-u'])
  t.equal(uid.code, 0, 'podman exec id -u')
  t.not(uid.stdout.trim(), '0', `runs as uid ${uid.stdout.trim()}, not root`)
  const pid1 = await podman(['exec', name, 'cat', '/proc/1/cmdline'])
  t.match(pid1.stdout.replace(/\0/g, ' '), /^\/usr\/bin\/tini -- node /, 'tini is PID 1')

  // The code cache came with the image, made by its build from its bundle, and its Node takes it
  // (src/launcher.ts): /app/dist is not the container user's to write, so a start cannot make one.
  const cache = await podman(['exec', name, 'node', '-e', CACHE_CHECK])
  t.equal(cache.stdout.trim(), 'taken', 'the image carries the code cache of its bundle, and its Node takes it', { stderr: tail(cache.stderr, 5) })

  // The image's HEALTHCHECK (podman runs it on demand; its timer needs systemd, which may be absent).
  let health: Ran | null = null
  for (let i = 0; i < 10; i++) {
    health = await podman(['healthcheck', 'run', name], 30_000)
    if (health.code === 0) break
    await sleep(1000)
  }
  t.equal(health?.code, 0, 'podman healthcheck run: healthy', { stdout: health?.stdout, stderr: tail(health?.stderr ?? '', 5) })
  const healthState = await podman(['inspect', '--format', '{{.State.Health.Status}}', name])
  t.equal(healthState.stdout.trim(), 'healthy', 'inspect: State.Health.Status healthy')

  // SIGTERM (podman stop, 10 s before SIGKILL): a clean exit, well before the SIGKILL.
  const stop = await podman(['stop', '-t', '10', name], 30_000)
  t.equal(stop.code, 0, 'podman stop')
  t.ok(stop.ms < 10_000, `stopped in ${stop.ms} ms (< 10 s: SIGTERM, not the SIGKILL after -t 10)`)
  const exit = await podman(['inspect', '--format', '{{.State.ExitCode}}', name])
  t.equal(exit.stdout.trim(), '0', 'exit code 0')
  const after = await podman(['logs', name], 10_000)
  t.match(`${after.stdout}${after.stderr}`, /"signal":"SIGTERM".*shutting down/, 'the dashboard saw SIGTERM and shut down')

  t.comment(`image ${IMAGE}: ${size.stdout.trim()} bytes (${(Number(size.stdout.trim()) / 1e6).toFixed(1)} MB; base ${BASE_IMAGE}: ${(Number(baseSize.stdout.trim()) / 1e6).toFixed(1)} MB)`)
  t.comment(`project image build: ${(build.ms / 1000).toFixed(1)} s; base images: ${(base.ms / 1000).toFixed(1)} s (${/reusing/.test(base.stdout) ? 'reused' : 'built'})`)
})
