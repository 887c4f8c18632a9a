// bench/forward.mjs — rows of `npm run bench` for the routes forwarded to Hermes' own server.
// The fixture backend (test/fixtures/backend.mjs) runs in its own process; the dashboard (bench/
// server.mjs) forwards to it (--hermes-backend URL). Measured side by side in one run, interleaved:
//   - REST req/s through the dashboard vs the same request sent to the backend directly, on a route
//     that takes 20 ms as Hermes' Python handlers do (budget ≥ 0.85), and on 5 ms and instant ones
//     (info: the proxy's own cost, about 100 µs of CPU a request, which a fast backend exposes);
//   - WebSocket echo throughput through the dashboard vs directly (info).
// Knobs: BENCH_FWD_ROUNDS (5), BENCH_FWD_ROUND_S (2), BENCH_FWD_WS_MIB (64).

import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { get, median, num, sleep, startServer, verdict, waitForLine } from './lib.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const SERVER = join(HERE, 'server.mjs')
const BACKEND = join(HERE, '..', 'test', 'fixtures', 'backend.mjs')
const ROUNDS = num('BENCH_FWD_ROUNDS', 5)
const ROUND_S = num('BENCH_FWD_ROUND_S', 2)
const WS_MIB = num('BENCH_FWD_WS_MIB', 64)
const CONNECTIONS = 20
export const FORWARD_BUDGET = 0.85

async function startBackend (token) {
  const child = spawn(process.execPath, [BACKEND, '--port', '0'], { env: { PATH: process.env.PATH, HERMES_DASHBOARD_SESSION_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] })
  const port = Number(await waitForLine(child, /FIXTURE_BACKEND_READY port=(\d+)/, 10_000, 'fixture backend'))
  child.stdout.resume()
  child.stderr.resume()
  return { port, stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM') }) }
}

async function rps (port, path, headers) {
  const r = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: CONNECTIONS, pipelining: 1, duration: ROUND_S, headers })
  const codes = Object.keys(r.statusCodeStats ?? {})
  if (r.errors > 0 || r.timeouts > 0 || codes.some((c) => c !== '200')) throw new Error(`${path} on ${port}: errors=${r.errors} timeouts=${r.timeouts} codes=${JSON.stringify(r.statusCodeStats)}`)
  return r.requests.total / (r.duration || ROUND_S)
}

/** MB/s of `mib` MiB echoed in 64 KiB binary messages, at most 16 in flight. */
async function echoThroughput (url, headers) {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const chunk = randomBytes(64 * 1024)
  const total = Math.round(WS_MIB * 1024 * 1024 / chunk.length)
  let sent = 0
  let received = 0
  const t0 = performance.now()
  await new Promise((resolve, reject) => {
    ws.on('error', reject)
    ws.on('message', (_d, isBinary) => {
      if (!isBinary) return // the backend's hello
      received++
      if (received === total) resolve()
      else if (sent < total) { ws.send(chunk, { binary: true }); sent++ }
    })
    for (; sent < Math.min(16, total); sent++) ws.send(chunk, { binary: true })
  })
  const s = (performance.now() - t0) / 1000
  ws.close()
  return (total * chunk.length * 2) / 1e6 / s
}

export async function measureForward () {
  const token = randomBytes(32).toString('base64url')
  const backendToken = randomBytes(32).toString('base64url')
  const backend = await startBackend(backendToken)
  const { mkdtempSync, rmSync, mkdirSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const home = mkdtempSync(join(tmpdir(), 'hd-bench-fwd-'))
  mkdirSync(join(home, 'logs'))
  let dash = null
  try {
    dash = await startServer('dashboard (forwarding)', [SERVER, 'dashboard'], {
      PATH: process.env.PATH, BENCH_HOME: home, BENCH_TOKEN: token, BENCH_BACKEND: `http://127.0.0.1:${backend.port}`, BENCH_BACKEND_TOKEN: backendToken,
    })
    for (let i = 0; i < 200; i++) { // bounded: the backend is health-checked before it is used
      const st = await get(dash.port, '/api/status', { 'x-hermes-session-token': token })
      if (JSON.parse(st.body).dashboard?.backend?.state === 'ready') break
      await sleep(50)
    }
    const through = { 'x-hermes-session-token': token }
    const direct = { host: `127.0.0.1:${backend.port}`, 'x-hermes-session-token': backendToken }
    // Hermes answers from Python: its handlers take milliseconds (its /api/status, 25–31 req/s on the
    // reference home). The budget row is a 20 ms route; the faster ones show what the proxy itself costs.
    const scenarios = [
      { key: 'slow', path: '/api/slow?ms=20', label: 'forwarded REST, a 20 ms route (Hermes-like), req/s', budgeted: true },
      { key: 'medium', path: '/api/slow?ms=5', label: 'forwarded REST, a 5 ms route (info), req/s', budgeted: false },
      { key: 'fast', path: '/api/status-code?code=200', label: 'forwarded REST, an instant route (info), req/s', budgeted: false },
    ]
    const out = {}
    for (const s of scenarios) {
      await rps(dash.port, s.path, through)
      await rps(backend.port, s.path, direct)
      out[s.key] = { fwd: [], direct: [] }
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 === 0 ? ['fwd', 'direct'] : ['direct', 'fwd']
        for (const side of order) out[s.key][side].push(await rps(side === 'fwd' ? dash.port : backend.port, s.path, side === 'fwd' ? through : direct))
      }
    }
    const wsFwd = []
    const wsDirect = []
    for (let r = 0; r < 3; r++) {
      wsFwd.push(await echoThroughput(`ws://127.0.0.1:${dash.port}/api/console?token=${token}`, {}))
      wsDirect.push(await echoThroughput(`ws://127.0.0.1:${backend.port}/api/console?token=${backendToken}`, { host: `127.0.0.1:${backend.port}` }))
    }
    const rows = []
    const results = []
    for (const s of scenarios) {
      const f = median(out[s.key].fwd)
      const d = median(out[s.key].direct)
      const ratio = f / d
      const budgeted = s.budgeted
      const ok = ratio >= FORWARD_BUDGET
      if (budgeted) results.push(ok)
      rows.push([s.label, `${Math.round(f).toLocaleString('en-US')} rps`, `${Math.round(d).toLocaleString('en-US')} rps`, ratio.toFixed(3), budgeted ? `≥ ${FORWARD_BUDGET}` : '-', budgeted ? verdict(ok) : '-'])
    }
    const wf = median(wsFwd)
    const wd = median(wsDirect)
    rows.push([`forwarded WebSocket echo, ${WS_MIB} MiB each way (info), MB/s`, `${wf.toFixed(0)} MB/s`, `${wd.toFixed(0)} MB/s`, (wf / wd).toFixed(3), '-', '-'])
    const notes = [
      'forward rows: reference is the fixture backend asked directly (its own Host and token), same request, same run, interleaved; c=20.',
      ...scenarios.map((s) => `rounds, req/s, ${s.key}: forwarded ${out[s.key].fwd.map((v) => Math.round(v)).join(' ')} | direct ${out[s.key].direct.map((v) => Math.round(v)).join(' ')}`),
      `rounds, WebSocket MB/s: forwarded ${wsFwd.map((v) => v.toFixed(0)).join(' ')} | direct ${wsDirect.map((v) => v.toFixed(0)).join(' ')}`,
    ]
    return { rows, results, notes }
  } finally {
    await dash?.stop()
    await backend.stop()
    rmSync(home, { recursive: true, force: true })
  }
}
