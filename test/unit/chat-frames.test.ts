// test/unit/chat-frames.test.ts
// The pure parts of /api/pty: RESIZE recognition and clamping, output framing, the replay ring.

import t from 'tap'
import { failureBanner, frames, MAX_OUTPUT_FRAME, parseResize } from '../../src/chat/frames.js'
import { createRing } from '../../src/chat/ring.js'

t.test('parseResize: exactly ESC[RESIZE:<cols>;<rows>], clamped', async (t) => {
  const r = (s: string): unknown => parseResize(Buffer.from(s, 'latin1'))
  t.same(r('\x1b[RESIZE:120;40]'), { cols: 120, rows: 40 })
  t.same(r('\x1b[RESIZE:1;1]'), { cols: 1, rows: 1 })
  t.same(r('\x1b[RESIZE:0;0]'), { cols: 1, rows: 1 }, 'zero clamps up to 1')
  t.same(r('\x1b[RESIZE:131072;24]'), { cols: 2000, rows: 24 }, 'the WSL2 131072-column probe clamps to 2000')
  t.same(r('\x1b[RESIZE:5000;5000]'), { cols: 2000, rows: 1000 })
  t.same(r(`\x1b[RESIZE:${'9'.repeat(30)};7]`), { cols: 2000, rows: 7 }, '30 digits saturate and clamp')
  for (const s of [
    'x\x1b[RESIZE:100;30]', '\x1b[RESIZE:100;30]x', '\x1b[RESIZE:100;30]\x1b[RESIZE:1;1]', '\x1b[RESIZE:100]',
    '\x1b[RESIZE:;30]', '\x1b[RESIZE:100;]', '\x1b[RESIZE:-1;30]', '\x1b[RESIZE:1e3;30]', '\x1b[RESIZE: 100;30]',
    '\x1b[resize:100;30]', '[RESIZE:100;30]', '', `\x1b[RESIZE:${'9'.repeat(60)};7]`,
  ]) t.equal(r(s), null, `not a resize: ${JSON.stringify(s)}`)
})

t.test('frames: at most 64 KiB each, no copies, nothing lost', async (t) => {
  const small = Buffer.from('abc')
  t.equal(frames(small)[0], small, 'a small chunk is its own frame')
  const big = Buffer.alloc(MAX_OUTPUT_FRAME * 2 + 5, 7)
  const out = frames(big)
  t.same(out.map((f) => f.length), [MAX_OUTPUT_FRAME, MAX_OUTPUT_FRAME, 5])
  t.equal(out[0]?.buffer, big.buffer, 'views of the same memory')
  t.same(frames(Buffer.alloc(MAX_OUTPUT_FRAME)).length, 1, 'exactly 64 KiB is one frame')
})

t.test('failureBanner: one red line, control characters of the message removed', async (t) => {
  t.equal(failureBanner('Chat unavailable: x'), '\r\n\x1b[31mChat unavailable: x\x1b[0m\r\n')
  t.equal(failureBanner('a\x1b[2Jb\nc'), '\r\n\x1b[31ma [2Jb c\x1b[0m\r\n', 'a message cannot clear the screen')
})

t.test('ring: keeps the last bytes, in order, from a character boundary', async (t) => {
  const ring = createRing(10)
  ring.push(Buffer.from('abcdef'))
  ring.push(Buffer.from('ghij'))
  t.equal(ring.snapshot().toString(), 'abcdefghij')
  ring.push(Buffer.from('kl'))
  t.equal(ring.snapshot().toString(), 'cdefghijkl', 'the front is cut')
  ring.push(Buffer.from('0123456789XYZ'))
  t.equal(ring.snapshot().toString(), '3456789XYZ', 'a chunk larger than the ring keeps its tail')
  t.equal(ring.size, 10)
  for (let i = 0; i < 1000; i++) ring.push(Buffer.from(String(i % 10)))
  t.equal(ring.snapshot().toString(), '0123456789', 'many small pushes')

  const utf = createRing(4)
  utf.push(Buffer.from('aé€', 'utf8')) // 1 + 2 + 3 bytes: keeping 4 cuts é in half
  t.equal(utf.snapshot().toString('utf8'), '€', 'continuation bytes at the front are skipped')
  t.equal(createRing(4).snapshot().length, 0, 'empty')
})
