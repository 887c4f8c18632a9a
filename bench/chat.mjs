// bench/chat.mjs — the DESIGN.md budgets that concern the WebSockets; called by bench/run.mjs, or
// runnable alone (`node bench/chat.mjs`, after `npm run build`):
//   1. PTY → WebSocket throughput: `cat` of one large text file through the real dashboard's /api/pty
//      vs node-pty alone in this process (interleaved rounds; ratio of medians) — budget ≥ 0.85;
//   2. /api/pub → /api/events latency, publisher and N subscribers in this process, one dashboard
//      process between them: p50 and p99 over all deliveries — budget p99 ≤ 10 ms at 1000 subscribers;
//      next to the same measured through a bare `ws` broadcast server (bench/bare-events.mjs).
// Knobs (environment): BENCH_PTY_MIB (256), BENCH_PTY_ROUNDS (5), BENCH_LAT_MSGS (200),
// BENCH_LAT_GAP_MS (20), BENCH_LAT_SUBS (100,1000).

import pty from 'node-pty'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import { CLI, cpuSecondsOf, machineCpu, median, num, sleep, startServer, table, verdict } from './lib.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))

const PTY_MIB = num('BENCH_PTY_MIB', 256)
const PTY_ROUNDS = num('BENCH_PTY_ROUNDS', 5)
const LAT_MSGS = num('BENCH_LAT_MSGS', 200)
const LAT_GAP_MS = num('BENCH_LAT_GAP_MS', 20)
const LAT_SUBS = (process.env.BENCH_LAT_SUBS || '100,1000').split(',').map(Number)
const LAT_AT = Math.max(...LAT_SUBS) // the subscriber count the budget is checked at

const PTY_RATIO_BUDGET = 0.85
const LAT_P99_BUDGET_MS = 10
const OPEN_BATCH = 50 // sockets opened at once: a thousand at a time overflows the listen backlog
const WARM_MSGS = 20 // unmeasured messages first: JIT and socket buffers warm on both sides
const MB = 1e6


/** Rejects after `ms` (and runs `onTimeout`) unless `promise` settles first. */
function within (promise, ms, what, onTimeout = () => {}) {
  let timer
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => { onTimeout(); reject(new Error(`${what}: no result after ${ms} ms`)) }, ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A dashboard from the real command line, on a free port, with `chat` as its chat command. */
function startDashboard (label, home, token, chat) {
  // The token goes in the environment: argv is visible in ps, and a base64url token may start with '-'.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? os.tmpdir(), HERMES_DASHBOARD_SESSION_TOKEN: token }
  return startServer(label, [CLI, '--port', '0', '--hermes-home', home, '--chat-command', chat,
    '--gateway-command', 'true', '--hermes-command', 'true', '--no-open', '--log-level', 'warn'], env)
}

function wsUrl (port, path, token, query = {}) {
  return `ws://127.0.0.1:${port}${path}?${new URLSearchParams({ token, ...query })}`
}

// ── 1. PTY → WebSocket throughput ────────────────────────────────────────────────────────────────

/**
 * About `mib` MiB of 79-character base64 lines: printable and incompressible, with nothing for the
 * tty to rewrite but \n → \r\n. Returns the bytes a PTY should deliver (file + one \r per line).
 */
function writeTextFile (path, mib) {
  const fd = openSync(path, 'w')
  let expected = 0
  try {
    for (let i = 0; i < mib; i++) {
      const b64 = randomBytes(786_432).toString('base64') // 1 MiB of text
      const lines = []
      for (let j = 0; j < b64.length; j += 79) lines.push(b64.slice(j, j + 79))
      const chunk = lines.join('\n') + '\n'
      writeSync(fd, chunk)
      expected += chunk.length + lines.length
    }
  } finally {
    closeSync(fd)
  }
  return expected
}

/** One `cat` through /api/pty (a fresh legacy chat per socket): bytes of binary frames, open → close. */
function catViaDashboard (port, token, timeoutMs) {
  let ws
  const run = new Promise((resolve, reject) => {
    ws = new WebSocket(wsUrl(port, '/api/pty', token), { perMessageDeflate: false })
    let bytes = 0
    let frames = 0
    let text = ''
    let t0 = 0
    ws.on('open', () => { t0 = performance.now() })
    ws.on('message', (data, isBinary) => {
      if (isBinary) { bytes += data.length; frames++ } else text += data
    })
    ws.on('error', reject)
    ws.on('close', (code, reason) => {
      const s = (performance.now() - t0) / 1000
      // A text frame is the server's failure banner; anything but 1000 is not the child's clean end.
      if (code !== 1000 || text !== '') reject(new Error(`/api/pty closed ${code} "${reason}" after ${bytes} bytes in ${frames} frames${text ? `; text: ${JSON.stringify(text)}` : ''}`))
      else resolve({ bytes, s, frames })
    })
  })
  return within(run, timeoutMs, '/api/pty cat', () => ws.terminate())
}

/** The same `cat` in a PTY of this process: node-pty alone, no server, no socket. */
function catViaNodePty (file, timeoutMs) {
  let p
  const run = new Promise((resolve, reject) => {
    const t0 = performance.now()
    p = pty.spawn('cat', [file], { cols: 80, rows: 24, encoding: null, env: process.env })
    let bytes = 0
    p.onData((data) => { bytes += data.length })
    p.onExit(({ exitCode, signal }) => {
      const s = (performance.now() - t0) / 1000
      if (exitCode !== 0) reject(new Error(`node-pty cat exited ${exitCode} (signal ${signal}) after ${bytes} bytes`))
      else resolve({ bytes, s })
    })
  })
  return within(run, timeoutMs, 'node-pty cat', () => p.kill('SIGKILL'))
}

async function ptyThroughput (home, token) {
  const dir = mkdtempSync(join(os.tmpdir(), 'hd-bench-pty-'))
  const file = join(dir, 'big.txt')
  let dash = null
  try {
    const expected = writeTextFile(file, PTY_MIB)
    // Generous: even 20 MB/s finishes well inside it.
    const timeoutMs = 30_000 + expected / (20 * MB) * 1000
    dash = await startDashboard('dashboard (pty)', home, token, `cat ${file}`)
    const runs = { dash: [], bare: [] }
    const once = async (side) => {
      const r = side === 'dash' ? await catViaDashboard(dash.port, token, timeoutMs) : await catViaNodePty(file, timeoutMs)
      if (!dash.alive) throw new Error(`dashboard died:\n${dash.stderr}`)
      return r
    }
    // One discarded run each: page cache, JIT, node-pty's first load.
    await once('dash')
    await once('bare')
    for (let r = 0; r < PTY_ROUNDS; r++) {
      const order = r % 2 === 0 ? ['dash', 'bare'] : ['bare', 'dash']
      for (const side of order) runs[side].push(await once(side))
    }
    // Both sides go through the same tty line discipline; a count off by more than noise is lost output.
    for (const r of [...runs.dash, ...runs.bare]) {
      if (Math.abs(r.bytes - runs.bare[0].bytes) > 0.01 * runs.bare[0].bytes) {
        throw new Error(`PTY byte counts disagree: dashboard ${runs.dash.map((x) => x.bytes).join(' ')} | node-pty ${runs.bare.map((x) => x.bytes).join(' ')} (file + \\r per line: ${expected})`)
      }
    }
    return { expected, runs }
  } finally {
    if (dash !== null) await dash.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

// ── 2. /api/pub → /api/events latency ────────────────────────────────────────────────────────────

function openSocket (url, timeoutMs) {
  let ws
  const opened = new Promise((resolve, reject) => {
    ws = new WebSocket(url, { perMessageDeflate: false })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${url.replace(/token=[^&]*/, 'token=…')}: HTTP ${res.statusCode}`)))
  })
  return within(opened, timeoutMs, 'WebSocket open', () => ws.terminate())
}

async function closeAll (sockets) {
  await Promise.all(sockets.map((ws) => {
    if (ws.readyState === WebSocket.CLOSED) return null
    const closed = new Promise((resolve) => ws.once('close', resolve))
    ws.close()
    return within(closed, 5000, 'WebSocket close', () => ws.terminate()).catch(() => {})
  }))
}

/** Soft limit on open files, or Infinity; a thousand subscribers need a thousand in both processes. */
function openFilesLimit () {
  const m = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
  return m === null || m[1] === 'unlimited' ? Infinity : Number(m[1])
}

/**
 * A subscriber with as little client-side work as possible: a WebSocket spoken over a plain TCP
 * socket, the receive time taken as the bytes arrive. With 1000 subscribers in one process, a full
 * WebSocket client's own parsing per message is most of the measured tail; this keeps the figure about
 * the server (and the bare reference is measured with the same client). Server frames are unmasked;
 * pings are answered so the server's keepalive does not drop us.
 */
function openRawSubscriber (port, path, onMessage, timeoutMs) {
  const key = randomBytes(16).toString('base64')
  const socket = net.connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  let buf = Buffer.alloc(0)
  let upgraded = false
  const opened = new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.on('data', (chunk) => {
      const now = performance.now() // first: what follows is this process's cost, not the server's
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n')
        if (end === -1) return
        const head = buf.subarray(0, end).toString('latin1')
        if (!head.startsWith('HTTP/1.1 101')) { reject(new Error(`no upgrade: ${head.split('\r\n')[0]}`)); socket.destroy(); return }
        upgraded = true
        buf = buf.subarray(end + 4)
        resolve(socket)
      }
      for (;;) {
        if (buf.length < 2) break
        const opcode = buf[0] & 0x0f
        let len = buf[1] & 0x7f
        let at = 2
        if (len === 126) { if (buf.length < 4) break; len = buf.readUInt16BE(2); at = 4 } else if (len === 127) { if (buf.length < 10) break; len = Number(buf.readBigUInt64BE(2)); at = 10 }
        if (buf.length < at + len) break
        const payload = buf.subarray(at, at + len)
        buf = buf.subarray(at + len)
        if (opcode === 0x1) onMessage(now, payload)
        else if (opcode === 0x9) socket.write(clientFrame(0xa, payload))
      }
    })
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  })
  return within(opened, timeoutMs, 'raw WebSocket open', () => socket.destroy())
}

/** A masked client frame (payloads under 126 bytes: pongs and closes). */
function clientFrame (opcode, payload) {
  const mask = randomBytes(4)
  const out = Buffer.alloc(6 + payload.length)
  out[0] = 0x80 | opcode
  out[1] = 0x80 | payload.length
  mask.copy(out, 2)
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i & 3]
  return out
}

/**
 * One round at `n` subscribers: every delivery's receive − send time (ms, sorted), and CPU ms per
 * message of the server and of this process, with what other processes used meanwhile (CPUs busy).
 */
async function latencyAt (server, token, pub, n) {
  const port = server.port
  const lat = new Float64Array(n * LAT_MSGS)
  const got = new Uint8Array(n * LAT_MSGS)
  const warm = new Uint8Array(n)
  let received = 0
  let warmed = 0
  const closed = []
  const subs = []
  try {
    const path = `/api/events?${new URLSearchParams({ token, channel: 'lat' })}`
    const onMessage = (i) => (now, data) => {
      const m = JSON.parse(data)
      if (m.seq < 0) {
        if (warm[i] === 0) { warm[i] = 1; warmed++ }
        return
      }
      const k = i * LAT_MSGS + m.seq
      if (got[k] === 0) { got[k] = 1; received++ }
      lat[k] = now - m.t
    }
    for (let i = 0; i < n; i += OPEN_BATCH) {
      const batch = []
      for (let j = i; j < Math.min(n, i + OPEN_BATCH); j++) batch.push(openRawSubscriber(port, path, onMessage(j), 10_000))
      subs.push(...await Promise.all(batch))
    }
    subs.forEach((socket) => socket.on('close', () => closed.push('closed')))
    // Warm-up doubles as the readiness check: an open socket is subscribed once it has seen a message.
    const warmUntil = performance.now() + 10_000
    for (let w = 0; (w < WARM_MSGS || warmed < n) && performance.now() < warmUntil; w++) {
      pub.send(JSON.stringify({ seq: -1, t: performance.now() }))
      await sleep(LAT_GAP_MS)
    }
    if (warmed < n) throw new Error(`${n - warmed} of ${n} subscribers saw no warm-up message in 10 s`)
    // CPU per message tells the server's fan-out from this process's own reading of n sockets.
    const srv0 = cpuSecondsOf(server.pid)
    const own0 = process.cpuUsage()
    const m0 = machineCpu()
    const t0 = performance.now()
    for (let seq = 0; seq < LAT_MSGS; seq++) {
      pub.send(JSON.stringify({ seq, t: performance.now() }))
      await sleep(LAT_GAP_MS) // well apart, so no message queues behind the previous one
    }
    const until = performance.now() + 10_000
    while (received < n * LAT_MSGS && performance.now() < until) await sleep(10)
    if (received < n * LAT_MSGS) {
      let short = 0
      for (let i = 0; i < n; i++) if (got.subarray(i * LAT_MSGS, (i + 1) * LAT_MSGS).includes(0)) short++
      throw new Error(`${n} subscribers: ${n * LAT_MSGS - received} of ${n * LAT_MSGS} deliveries missing, ${short} subscribers short; closes seen: ${JSON.stringify(closed)}`)
    }
    const wall = (performance.now() - t0) / 1000
    const srv = cpuSecondsOf(server.pid) - srv0
    const own = process.cpuUsage(own0)
    const ownS = (own.user + own.system) / 1e6
    const others = Math.max(0, (machineCpu().busy - m0.busy) - ownS - srv) / wall
    return { lat: lat.sort(), serverMs: srv * 1000 / LAT_MSGS, benchMs: ownS * 1000 / LAT_MSGS, others }
  } finally {
    for (const socket of subs) socket.end(clientFrame(0x8, Buffer.from([0x03, 0xe8])))
    for (const socket of subs) socket.destroy()
  }
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]

/** p50, p99 and CPU of one server (the dashboard, or the bare ws reference) at each subscriber count. */
async function latencyOf (server, token, n) {
  const pub = await openSocket(wsUrl(server.port, '/api/pub', token, { channel: 'lat' }), 10_000)
  try {
    const { lat, ...cpu } = await latencyAt(server, token, pub, n)
    if (!server.alive) throw new Error(`${server.label} died:\n${server.stderr}`)
    return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat[lat.length - 1], count: lat.length, ...cpu }
  } finally {
    await closeAll([pub])
  }
}

async function eventLatency (home, token) {
  const limit = openFilesLimit()
  const result = { limit, at: {}, bare: {} }
  let dash = null
  let bare = null
  try {
    dash = await startDashboard('dashboard (events)', home, token, 'cat')
    bare = await startServer('bare ws (events)', [join(HERE, 'bare-events.mjs')], { PATH: process.env.PATH })
    for (const n of LAT_SUBS) {
      // Both processes hold one descriptor per subscriber, plus their own few dozen.
      if (n + 200 > limit) { result.at[n] = { skipped: `ulimit -n ${limit} is too low for ${n} subscribers (raise it, e.g. ulimit -n ${n + 1024})` }; continue }
      // Side by side in one run: the dashboard's path, then the bare limit on the same machine.
      result.at[n] = await latencyOf(dash, token, n)
      result.bare[n] = await latencyOf(bare, token, n)
    }
    return result
  } finally {
    if (dash !== null) await dash.stop()
    if (bare !== null) await bare.stop()
  }
}

// ── rows for the table ───────────────────────────────────────────────────────────────────────────

/** Runs both measurements with one throw-away HERMES_HOME; the dashboards run one after the other. */
export async function measureChat (token = randomBytes(32).toString('base64url')) {
  const home = mkdtempSync(join(os.tmpdir(), 'hd-bench-chat-'))
  try {
    return { pty: await ptyThroughput(home, token), events: await eventLatency(home, token) }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

/** Table rows (run.mjs's columns), one boolean per budget (null: skipped), and notes for under the table. */
export function chatRows ({ pty: p, events }) {
  const rows = []
  const results = []
  const mbps = (runs) => runs.map((r) => r.bytes / r.s / MB)
  const dash = median(mbps(p.runs.dash))
  const bare = median(mbps(p.runs.bare))
  const ratio = dash / bare
  results.push(ratio >= PTY_RATIO_BUDGET)
  rows.push([`PTY → WebSocket, cat ${PTY_MIB} MiB (MB/s)`, `${dash.toFixed(0)} MB/s`, `${bare.toFixed(0)} MB/s`, ratio.toFixed(3), `≥ ${PTY_RATIO_BUDGET.toFixed(2)}`, verdict(ratio >= PTY_RATIO_BUDGET)])
  for (const n of LAT_SUBS) {
    const r = events.at[n]
    const budgeted = n === LAT_AT
    if (r.skipped !== undefined) {
      if (budgeted) results.push(null)
      rows.push([`/api/pub → /api/events, ${n} subscribers`, 'skipped', '-', '-', budgeted ? `p99 ≤ ${LAT_P99_BUDGET_MS} ms` : '-', budgeted ? 'SKIP' : '-'])
      continue
    }
    const ok = r.p99 <= LAT_P99_BUDGET_MS
    const b = events.bare[n]
    if (budgeted) results.push(ok)
    rows.push([`/api/pub → /api/events p99, ${n} subscribers${budgeted ? '' : ' (info)'} (ref: bare ws)`, `${r.p99.toFixed(2)} ms`, `${b.p99.toFixed(2)} ms`, (r.p99 / b.p99).toFixed(2), budgeted ? `≤ ${LAT_P99_BUDGET_MS} ms` : '-', budgeted ? verdict(ok) : '-'])
    rows.push([`  p50, ${n} subscribers (info)`, `${r.p50.toFixed(2)} ms`, `${b.p50.toFixed(2)} ms`, (r.p50 / b.p50).toFixed(2), '-', '-'])
  }
  const list = (runs) => runs.map((r) => (r.bytes / r.s / MB).toFixed(0)).join(' ')
  const span = (runs) => `${Math.min(...runs.map((r) => r.bytes))}–${Math.max(...runs.map((r) => r.bytes))}`
  const notes = [
    `PTY rows: reference is node-pty alone in the bench process (same file, 80x24); MB/s = 10^6 bytes received per second, the tty's \\r\\n included.`,
    `  bytes received per run: dashboard ${span(p.runs.dash)}, node-pty ${span(p.runs.bare)}, sent (file + \\r per line) ${p.expected}; ` +
      'on Linux node-pty can drop the last few KiB when the child exits (microsoft/node-pty#72), on both paths alike.',
    `rounds, MB/s: dashboard ${list(p.runs.dash)} | node-pty ${list(p.runs.bare)} | median of paired ratios ${median(p.runs.dash.map((d, i) => (d.bytes / d.s) / (p.runs.bare[i].bytes / p.runs.bare[i].s))).toFixed(3)}`,
    `event rows: ${LAT_MSGS} messages ${LAT_GAP_MS} ms apart (after ${WARM_MSGS}+ unmeasured), publisher and subscribers in the bench process (one clock); ` +
      `subscribers are lean raw WebSocket clients (receive time taken as the bytes arrive), the same for both servers; ${LAT_AT} of them still read one after another here, so the tail includes this process's own reads; ` +
      `ulimit -n ${events.limit}.`,
    ...LAT_SUBS.map((n) => {
      const r = events.at[n]
      const b = events.bare[n]
      return `  ${n} subscribers: ` + (r.skipped ?? `max ${r.max.toFixed(2)} ms over ${r.count} deliveries; CPU per message: server ${r.serverMs.toFixed(2)} ms (bare ws ${b.serverMs.toFixed(2)} ms), bench process ${r.benchMs.toFixed(2)} ms; ` +
        `other processes kept ${r.others.toFixed(2)} CPUs busy${r.others > 0.1 ? ' (machine NOT quiet)' : ''}.`)
    }),
  ]
  return { rows, results, notes }
}

// Alone: `node bench/chat.mjs`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = performance.now()
  measureChat().then((res) => {
    const { rows, results, notes } = chatRows(res)
    console.log(table([['figure', 'with dashboard', 'reference', 'ratio', 'budget', 'result'], ...rows]))
    console.log('')
    for (const line of notes) console.log(line)
    const failed = results.filter((ok) => ok === false).length
    console.log(`summary: ${results.filter((ok) => ok === true).length}/${results.length} budgets PASS${failed > 0 ? `, ${failed} FAIL` : ''} — ${((performance.now() - started) / 1000).toFixed(0)} s`)
    process.exit(0)
  }, (err) => {
    console.error(`bench crashed: ${err instanceof Error ? err.stack : String(err)}`)
    process.exit(1)
  })
}
