// bench/run.mjs — `npm run bench` (after `npm run build`; imports the compiled code from ../dist/).
// Measures the DESIGN.md budgets that concern the REST front door, in one run:
//   1. the trust hook: req/s of protected routes on the real dashboard vs the same route code on a bare
//      Fastify (each server in its own process; interleaved rounds; ratio of medians) — budget ≥ 0.90;
//   2. start-up: spawn of the real command line → first GET /api/status answer — budget ≤ 300 ms;
//      idle RSS — budget ≤ 80 MiB; next to a bare `node -e` http server measured the same way; on a
//      copy of the reference home (Hermes' own config.yaml and state.db), as a user's would be;
//   3. the WebSockets (bench/chat.mjs): PTY → /api/pty throughput vs node-pty alone — budget ≥ 0.85;
//      /api/pub → /api/events latency at 100 and 1000 subscribers — budget p99 ≤ 10 ms at 1000;
//   4. forwarding to Hermes' own server (bench/forward.mjs): REST req/s through the dashboard vs the
//      fixture backend asked directly — budget ≥ 0.85 on a Hermes-like 20 ms route; WebSocket echo;
//   5. the native reads (bench/reads.mjs): status, sessions, search, analytics on the reference home
//      against the unknown-/api/ answer; a large home's analytics and messages cold, and /api/status's
//      p99 while they run.
// Exits 0 whether budgets pass or fail; non-zero only when something broke.
// Knobs (environment): BENCH_ROUNDS (7), BENCH_ROUND_S (2), BENCH_WARMUP_S (1), BENCH_STARTS (5),
// BENCH_IDLE_S (3), BENCH_CPU_PROF=<dir> (write a V8 CPU profile of each server child there);
// bench/chat.mjs's BENCH_PTY_* and BENCH_LAT_* (see there).

import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { chatRows, measureChat } from './chat.mjs'
import { measureForward } from './forward.mjs'
import { measureReads } from './reads.mjs'
import { BROWSER_HEADERS, measureHook } from './hook-micro.mjs'
import { CLI, cpuSecondsOf, get, machineCpu, median, num, REFERENCE_HOME, rssOf, sleep, startServer, table, verdict, waitForLine } from './lib.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const SERVER = join(HERE, 'server.mjs')

const ROUNDS = num('BENCH_ROUNDS', 7)
const ROUND_S = num('BENCH_ROUND_S', 2)
const WARMUP_S = num('BENCH_WARMUP_S', 1)
const STARTS = num('BENCH_STARTS', 5)
const IDLE_S = num('BENCH_IDLE_S', 3)
const CONNECTIONS = 20
const CPU_PROF = process.env.BENCH_CPU_PROF

const RATIO_BUDGET = 0.90
const START_BUDGET_MS = 300
const RSS_BUDGET = 80 * 1024 * 1024
const MiB = 1024 * 1024

const fmtInt = (n) => Math.round(n).toLocaleString('en-US')

function makeHome () {
  const home = mkdtempSync(join(os.tmpdir(), 'hd-bench-'))
  mkdirSync(join(home, 'logs'))
  writeFileSync(join(home, 'config.yaml'), '_config_version: 17\nmodel: bench-model\n')
  writeFileSync(join(home, 'logs', 'hermes-update.log'),
    '\n=== hermes-update started 2026-01-01 10:00:00 ===\nFetching updates...\nAlready up to date.\nUpdate complete.\n')
  return home
}

// ── 1. trust hook: REST throughput, dashboard vs bare, interleaved ───────────────────────────────

const SCENARIOS = [
  { key: 'status', name: 'GET /api/actions/hermes-update/status?lines=1', path: '/api/actions/hermes-update/status?lines=1', status: 200, host: '127.0.0.1' },
  { key: 'notfound', name: 'GET /api/no-such-endpoint (503 backend_off JSON: no backend behind)', path: '/api/no-such-endpoint', status: 503, host: '127.0.0.1' },
  { key: 'status-localhost', name: 'same status route, Host: localhost:<port>', path: '/api/actions/hermes-update/status?lines=1', status: 200, host: 'localhost' },
]

function headersFor (scenario, port, token) {
  return { Host: `${scenario.host}:${port}`, ...BROWSER_HEADERS, 'X-Hermes-Session-Token': token }
}

/** One autocannon run: req/s, and the server process's CPU µs per request (robust to a busy machine). */
async function cannon (server, scenario, token, seconds) {
  const cpu0 = cpuSecondsOf(server.pid)
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${scenario.path}`,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    headers: headersFor(scenario, server.port, token),
  })
  const codes = Object.keys(result.statusCodeStats ?? {})
  if (result.errors > 0 || result.timeouts > 0 || codes.some((c) => Number(c) !== scenario.status)) {
    throw new Error(`${server.label} ${scenario.path}: errors=${result.errors} timeouts=${result.timeouts} status codes=${JSON.stringify(result.statusCodeStats)} (expected only ${scenario.status})`)
  }
  if (!server.alive) throw new Error(`${server.label} died:\n${server.stderr}`)
  const cpuUs = (cpuSecondsOf(server.pid) - cpu0) * 1e6 / result.requests.total
  return { rps: result.requests.total / (result.duration || seconds), cpuUs }
}

async function checkOnce (server, scenario, token) {
  const res = await get(server.port, scenario.path, headersFor(scenario, server.port, token))
  if (res.status !== scenario.status) throw new Error(`${server.label} ${scenario.path}: HTTP ${res.status} ${res.body.slice(0, 300)}`)
  return res.body
}

async function throughput (home, token) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? os.tmpdir(), BENCH_HOME: home, BENCH_TOKEN: token }
  const execArgv = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(CPU_PROF)}`] : []
  const servers = {}
  try {
    servers.hook = await startServer('dashboard', [SERVER, 'dashboard'], env, execArgv)
    servers.bare = await startServer('bare', [SERVER, 'bare'], env, execArgv)
    for (const s of SCENARIOS) {
      const a = await checkOnce(servers.hook, s, token)
      const b = await checkOnce(servers.bare, s, token)
      if (a !== b) throw new Error(`bodies differ for ${s.path}:\n  dashboard: ${a}\n  bare:      ${b}`)
    }
    for (const s of SCENARIOS) {
      await cannon(servers.hook, s, token, WARMUP_S)
      await cannon(servers.bare, s, token, WARMUP_S)
    }
    const rps = Object.fromEntries(SCENARIOS.map((s) => [s.key, { hook: [], bare: [], hookCpu: [], bareCpu: [] }]))
    // What else ran on the machine meanwhile: busy CPU not used by this process or the two servers.
    const m0 = machineCpu()
    const own0 = process.cpuUsage()
    const srv0 = cpuSecondsOf(servers.hook.pid) + cpuSecondsOf(servers.bare.pid)
    const t0 = performance.now()
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of SCENARIOS) {
        // A B, then B A: an order effect or a slow drift falls on both sides alike.
        const order = r % 2 === 0 ? ['hook', 'bare'] : ['bare', 'hook']
        for (const side of order) {
          const { rps: v, cpuUs } = await cannon(servers[side], s, token, ROUND_S)
          rps[s.key][side].push(v)
          rps[s.key][`${side}Cpu`].push(cpuUs)
        }
      }
    }
    const wall = (performance.now() - t0) / 1000
    const m1 = machineCpu()
    const own = process.cpuUsage(own0)
    const srv = cpuSecondsOf(servers.hook.pid) + cpuSecondsOf(servers.bare.pid) - srv0
    const others = Math.max(0, (m1.busy - m0.busy) - (own.user + own.system) / 1e6 - srv)
    rps.noise = { others: others / wall, steal: (m1.steal - m0.steal) / wall }
    return rps
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()))
  }
}

// ── 2. start-up and idle RSS ─────────────────────────────────────────────────────────────────────

const BARE_NODE = "require('http').createServer((q,s)=>s.end('ok')).listen(0,'127.0.0.1',function(){console.log('READY port='+this.address().port)})"

/** Spawn → port line → poll GET until `status` answers. Returns ms, RSS then, and the child. */
async function timeStart (args, path, env) {
  const t0 = performance.now()
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    const port = Number(await waitForLine(child, /READY port=(\d+)/, 10_000, `node ${args.join(' ')}`))
    child.stdout.resume()
    child.stderr.resume()
    let res = null
    let lastError = null
    for (let i = 0; i < 200 && res === null; i++) { // bounded: at most ~200 tries, each ≤ 2 s
      try {
        res = await get(port, path)
      } catch (err) {
        lastError = err
        await sleep(2)
      }
    }
    const ms = performance.now() - t0
    if (res === null) throw new Error(`no answer from ${path}: ${lastError?.message}`)
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`)
    return { ms, rss: rssOf(child.pid), pid: child.pid, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

async function startup (home) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? os.tmpdir() }
  const dash = [CLI, '--port', '0', '--no-open', '--hermes-home', home, '--hermes-command', 'true', '--hermes-backend', 'off']
  const bare = ['-e', BARE_NODE]
  // The dashboard prints `HERMES_DASHBOARD_READY port=<n>` once it listens.
  const runs = { dash: [], bare: [] }
  let idleRss = { dash: 0, bare: 0 }
  // One discarded start of each first: cold file cache is not what we are measuring.
  for (const [key, args, path] of [['dash', dash, '/api/status'], ['bare', bare, '/']]) {
    const r = await timeStart(args, path, env)
    await r.stop()
    void key
  }
  for (let i = 0; i < STARTS; i++) {
    const last = i === STARTS - 1
    const order = i % 2 === 0 ? ['dash', 'bare'] : ['bare', 'dash']
    const live = []
    for (const key of order) {
      const r = await timeStart(key === 'dash' ? dash : bare, key === 'dash' ? '/api/status' : '/', env)
      runs[key].push(r)
      if (last) live.push([key, r])
      else await r.stop()
    }
    if (last) {
      // Idle: both left running with no traffic for a few seconds, then RSS read again.
      await sleep(IDLE_S * 1000)
      for (const [key, r] of live) {
        idleRss[key] = rssOf(r.pid)
        await r.stop()
      }
    }
  }
  return {
    dashMs: median(runs.dash.map((r) => r.ms)),
    bareMs: median(runs.bare.map((r) => r.ms)),
    dashAll: runs.dash.map((r) => r.ms),
    bareAll: runs.bare.map((r) => r.ms),
    dashRssFirst: median(runs.dash.map((r) => r.rss)),
    bareRssFirst: median(runs.bare.map((r) => r.rss)),
    dashRssIdle: idleRss.dash,
    bareRssIdle: idleRss.bare,
  }
}

// ── main ─────────────────────────────────────────────────────────────────────────────────────────

async function main () {
  const started = performance.now()
  const home = makeHome()
  const referenceHome = existsSync(REFERENCE_HOME) ? mkdtempSync(join(os.tmpdir(), 'hd-bench-ref-')) : null
  if (referenceHome !== null) cpSync(REFERENCE_HOME, referenceHome, { recursive: true })
  const token = randomBytes(32).toString('base64url')
  try {
    console.log(`hermes-dashboard bench — node ${process.version}, ${os.cpus().length} CPUs, ${os.platform()} ${os.arch()}`)
    console.log(`REST: each server in its own process; autocannon c=${CONNECTIONS} p=1 from this process; ${WARMUP_S} s warm-up, then ${ROUNDS} interleaved rounds × ${ROUND_S} s per server (ABBA order); median req/s.`)
    console.log('Request: Host, User-Agent, Accept, Accept-Language, Accept-Encoding, Cookie (unrelated cookies), Sec-Fetch-Site/Mode/Dest, X-Hermes-Session-Token.')
    console.log('')

    const micro = { ip: measureHook(token, '127.0.0.1:9119'), name: measureHook(token, 'localhost:9119') }
    const rps = await throughput(home, token)
    const st = await startup(referenceHome ?? home)
    const chat = chatRows(await measureChat(token))
    const fwd = await measureForward()
    const reads = await measureReads()

    const rows = [['figure', 'with dashboard', 'reference', 'ratio', 'budget', 'result']]
    const labels = { status: 'status route req/s (bare: same route)', notfound: 'unknown /api/ path, no backend, req/s (bare: /api/*)', 'status-localhost': 'status route, Host localhost, req/s' }
    const results = []
    for (const s of SCENARIOS) {
      const hook = median(rps[s.key].hook)
      const bare = median(rps[s.key].bare)
      const ratio = hook / bare
      const ok = ratio >= RATIO_BUDGET
      results.push(ok)
      rows.push([labels[s.key], `${fmtInt(hook)} rps`, `${fmtInt(bare)} rps`, ratio.toFixed(3), `≥ ${RATIO_BUDGET.toFixed(2)}`, verdict(ok)])
      const hookCpu = median(rps[s.key].hookCpu)
      const bareCpu = median(rps[s.key].bareCpu)
      rows.push(['  server CPU per request (info; ratio bare/hook)', `${hookCpu.toFixed(1)} µs`, `${bareCpu.toFixed(1)} µs`, (bareCpu / hookCpu).toFixed(3), '-', '-'])
    }
    const startOk = st.dashMs <= START_BUDGET_MS
    const rssOk = st.dashRssIdle <= RSS_BUDGET
    results.push(startOk, rssOk)
    rows.push(['start-up: spawn → first /api/status (ms)', `${st.dashMs.toFixed(0)} ms`, `${st.bareMs.toFixed(0)} ms`, (st.dashMs / st.bareMs).toFixed(2), `≤ ${START_BUDGET_MS} ms`, verdict(startOk)])
    rows.push([`idle RSS after ${IDLE_S} s (MiB)`, `${(st.dashRssIdle / MiB).toFixed(1)} MiB`, `${(st.bareRssIdle / MiB).toFixed(1)} MiB`, (st.dashRssIdle / st.bareRssIdle).toFixed(2), `≤ ${RSS_BUDGET / MiB} MiB`, verdict(rssOk)])
    rows.push(['RSS at first response (MiB, info)', `${(st.dashRssFirst / MiB).toFixed(1)} MiB`, `${(st.bareRssFirst / MiB).toFixed(1)} MiB`, (st.dashRssFirst / st.bareRssFirst).toFixed(2), '-', '-'])
    rows.push(...chat.rows)
    results.push(...chat.results.filter((ok) => ok !== null)) // null: skipped (shown as SKIP)
    rows.push(...fwd.rows)
    results.push(...fwd.results)
    rows.push(...reads.rows)
    results.push(...reads.results)
    rows.push(['inspect+evaluate alone, Host 127.0.0.1 (info)', `${micro.ip.both.toFixed(2)} µs`, '-', '-', '-', '-'])
    rows.push(['inspect+evaluate alone, Host localhost (info)', `${micro.name.both.toFixed(2)} µs`, '-', '-', '-', '-'])
    console.log(table(rows))
    console.log('')
    console.log('reference column: bare Fastify, same constructor options, WebSocket plugin and route code, no trust plugin (REST rows);')
    console.log('  a bare `node -e` http server started and measured the same way — the floor of Node\'s own start (start-up, RSS rows);')
    console.log('inspect+evaluate alone: the trust hook\'s decision code in an in-process loop (no HTTP), µs per request.')
    console.log(`server CPU per request: CPU time of the server process over a round / requests served; unlike req/s it does not move when other work shares the ${os.cpus().length} CPUs.`)
    const noisy = rps.noise.others > 0.1 || rps.noise.steal > 0.05
    console.log(`during the REST rounds other processes kept ${rps.noise.others.toFixed(2)} CPUs busy (steal ${rps.noise.steal.toFixed(2)})${noisy ? ' — the machine was NOT quiet: req/s figures are disturbed; trust the CPU-per-request rows more' : ''}.`)
    console.log(`start-up and idle RSS on ${referenceHome !== null ? 'a copy of the reference home (Hermes\' own config.yaml and state.db)' : 'a minimal home (the reference home was not found)'}; start-up includes Node's own start (see the reference); runs, ms: dashboard ` +
      st.dashAll.map((v) => v.toFixed(0)).join(' ') + ' | bare node ' + st.bareAll.map((v) => v.toFixed(0)).join(' '))
    for (const s of SCENARIOS) {
      const pairs = rps[s.key].hook.map((h, i) => h / rps[s.key].bare[i])
      console.log(`rounds, req/s, ${s.key}: dashboard ${rps[s.key].hook.map(fmtInt).join(' ')} | bare ${rps[s.key].bare.map(fmtInt).join(' ')} | median of paired ratios ${median(pairs).toFixed(3)}`)
    }
    for (const line of chat.notes) console.log(line)
    for (const line of fwd.notes) console.log(line)
    for (const line of reads.notes) console.log(line)
    const failed = results.filter((ok) => !ok).length
    console.log('')
    console.log(`summary: ${results.length - failed}/${results.length} budgets PASS${failed > 0 ? `, ${failed} FAIL` : ''} (benchmark, not a test: exit 0 either way) — ${((performance.now() - started) / 1000).toFixed(0)} s`)
  } finally {
    rmSync(home, { recursive: true, force: true })
    if (referenceHome !== null) rmSync(referenceHome, { recursive: true, force: true })
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(`bench crashed: ${err instanceof Error ? err.stack : String(err)}`)
  process.exit(1)
})
