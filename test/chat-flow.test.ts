// test/chat-flow.test.ts
// Flow control on /api/pty, against the real command line in its own process (so its RSS is its
// own): a client that reads nothing while the chat writes 200 MB. The server must pause the PTY
// (the chat then blocks on write) instead of queueing the output, and when the client reads again
// every line must arrive, in order.
//
// Bound stated here: while the reader is stalled, the server's RSS grows by at most 64 MiB over what
// it was before the burst (the design keeps at most ~1 MiB queued per socket, plus kernel buffers
// that are not the server's memory).

import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { WebSocket } from 'ws'
import { createFixtureHome } from './helpers/home.js'
import { chatFixture, startCli, TEST_TOKEN } from './helpers/server.js'

const BYTES = 200 * 1024 * 1024
const LINES = Math.ceil(BYTES / 64)
const RSS_GROWTH_BOUND = 64 * 1024 * 1024
const LINE_RE = /^B(\d{9})\.{53}$/

function rssOf (pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) * 1024
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('a reader that stops: the PTY is paused, memory stays bounded, nothing is lost', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const dir = mkdtempSync(join(tmpdir(), 'hd-flow-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const progressFile = join(dir, 'progress')
  const cli = await startCli(t, ['--port', '0', '--token', TEST_TOKEN, '--hermes-home', home.dir, '--chat-command', chatFixture(randomUUID()), '--log-level', 'warn', '--no-open'])
  const pid = cli.child.pid as number

  const ws = new WebSocket(`ws://127.0.0.1:${cli.port}/api/pty?token=${TEST_TOKEN}`)
  let expected = 0
  let started = false
  let carry = ''
  let ended = false
  let problem: string | null = null
  let received = 0
  const finished = new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      received += data.length
      // ASCII only from here on; latin1 is the cheap exact decoding.
      const text = carry + data.toString('latin1')
      const lines = text.split('\n')
      carry = lines.pop() ?? ''
      for (const raw of lines) {
        const line = raw.replace(/\r/g, '')
        const m = LINE_RE.exec(line)
        if (m !== null) {
          started = true
          if (Number(m[1]) !== expected && problem === null) problem = `line ${expected} expected, got ${line}`
          expected++
        } else if (started && !ended) {
          if (line.startsWith('BURST-END')) {
            ended = true
            resolve()
          } else if (problem === null) {
            problem = `unexpected line after ${expected}: ${JSON.stringify(line.slice(0, 80))}`
          }
        }
      }
    })
    ws.on('close', () => resolve())
  })
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  // Wait for the prompt before stalling (bounded).
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no prompt')), 10_000)
    const check = (): void => { if (received > 0 && carry.includes('hermes> ')) { clearTimeout(timer); ws.off('message', check); resolve() } }
    ws.on('message', check)
  })
  const before = rssOf(pid)

  ws.pause() // read nothing from now on
  ws.send(`/burst ${BYTES} ${progressFile}\r`)

  // Wait until the chat stops making progress: the same count for a whole second (bounded: 60 s).
  let last = -1
  let same = 0
  let peak = before
  for (let i = 0; i < 600 && same < 10; i++) {
    await pause(100)
    peak = Math.max(peak, rssOf(pid))
    const now = existsSync(progressFile) ? Number(readFileSync(progressFile, 'utf8')) : 0
    same = now === last && now > 0 ? same + 1 : 0
    last = now
  }
  t.equal(same, 10, 'the chat stopped making progress while nobody read')
  t.ok(last < BYTES / 4, `it was held back early: ${(last / 1048576).toFixed(1)} MiB of ${BYTES / 1048576} MiB written`)
  t.ok(peak - before <= RSS_GROWTH_BOUND, `server RSS grew by ${((peak - before) / 1048576).toFixed(1)} MiB while stalled (bound ${RSS_GROWTH_BOUND / 1048576} MiB)`)

  ws.resume()
  const timeout = setTimeout(() => { problem ??= 'the burst did not finish within 180 s'; ws.terminate() }, 180_000)
  await finished
  clearTimeout(timeout)
  peak = Math.max(peak, rssOf(pid))
  t.equal(problem, null, 'every line in order')
  t.ok(ended, 'the end marker arrived')
  t.equal(expected, LINES, `all ${LINES} lines (${BYTES / 1048576} MiB) arrived`)
  t.ok(peak - before <= RSS_GROWTH_BOUND, `server RSS growth over the whole burst: ${((peak - before) / 1048576).toFixed(1)} MiB`)
  ws.close()
})
