// test/unit/pty-input.test.ts
// pendingPtyInput reads node-pty's private write queue (there is no public measure of unread input):
// this pins it to the installed node-pty, with a real PTY whose program never reads its input.

import t from 'tap'
import { pendingPtyInput } from '../../src/chat/service.js'

t.test('pendingPtyInput sees input a program does not read', async (t) => {
  const { spawn } = await import('node-pty')
  // sleep never reads stdin: what the terminal cannot take waits in node-pty's queue.
  const pty = spawn('sleep', ['30'], { cols: 80, rows: 24, encoding: null as unknown as string })
  t.teardown(() => { try { pty.kill('SIGKILL') } catch {} })
  t.equal(pendingPtyInput(pty), 0, 'nothing written, nothing pending')
  const chunk = Buffer.alloc(64 * 1024, 0x61)
  for (let i = 0; i < 64; i++) pty.write(chunk)
  // The kernel's terminal buffer takes a few KiB; node-pty keeps the rest.
  let pending = 0
  for (let i = 0; i < 50; i++) {
    pending = pendingPtyInput(pty)
    if (pending > 0 && pending < 64 * chunk.length) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.ok(pending > 3 * 1024 * 1024, `node-pty holds the unread input: ${pending} bytes`)
  t.ok(pending <= 64 * chunk.length, 'never more than was written')
})
