// test/unit/tail.test.ts
// tailLines over an in-memory source (chunk boundaries, the 256 KiB window, line endings, invalid
// UTF-8) and readLogTail over real files opened by the home door.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { readLogTail, TAIL_MAX_BYTES, tailLines, type TailSource } from '../../src/actions/tail.js'
import { openHermesHome } from '../../src/hermes/home.js'

interface MemorySource extends TailSource {
  /** [position, length] of every read. */
  readonly reads: Array<readonly [number, number]>
}

function memory (content: string | Buffer): MemorySource {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  const reads: Array<readonly [number, number]> = []
  return {
    size: data.length,
    reads,
    async read (position, length) {
      reads.push([position, length])
      return Buffer.from(data.subarray(position, position + length))
    },
  }
}

/** What tailLines must give for content that fits in the window. */
function reference (content: string, n: number): string[] {
  const lines = content.split(/\r\n|\r|\n/)
  if (lines[lines.length - 1] === '') lines.pop()
  return lines.slice(-n)
}

/** Numbered lines of varying length, so boundaries fall at different places in a line. */
function numbered (count: number, from = 0): string {
  let out = ''
  for (let i = from; i < from + count; i++) out += `line ${i} ${'x'.repeat((i * 37) % 101)}\n`
  return out
}

t.test('tailLines: small sources', async (t) => {
  const cases: ReadonlyArray<readonly [string, string, number, string[]]> = [
    ['fewer lines than asked', 'a\nb\nc\n', 10, ['a', 'b', 'c']],
    ['exactly n', 'a\nb\nc\n', 3, ['a', 'b', 'c']],
    ['the last n', 'a\nb\nc\n', 2, ['b', 'c']],
    ['one', 'a\nb\nc\n', 1, ['c']],
    ['no final newline', 'a\nb\nc', 2, ['b', 'c']],
    ['one line, no newline', 'only', 5, ['only']],
    ['empty lines kept', 'a\n\n\nb\n', 10, ['a', '', '', 'b']],
    ['only newlines', '\n\n\n', 10, ['', '', '']],
    ['empty source', '', 5, []],
    ['CRLF', 'a\r\nb\r\nc\r\n', 10, ['a', 'b', 'c']],
    ['lone CR', 'a\rb\rc', 10, ['a', 'b', 'c']],
    ['mixed endings', 'a\r\nb\rc\nd', 10, ['a', 'b', 'c', 'd']],
    ['CR CR LF', 'a\r\r\nb\n', 10, ['a', '', 'b']],
    ['UTF-8', 'héllo\n€uro\n日本\n', 2, ['€uro', '日本']],
  ]
  for (const [name, content, n, want] of cases) t.strictSame(await tailLines(memory(content), n), want, name)
})

t.test('tailLines: invalid UTF-8 is replaced', async (t) => {
  const bytes = Buffer.concat([Buffer.from('ok\nbad '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('\nend\n')])
  t.strictSame(await tailLines(memory(bytes), 10), ['ok', 'bad \ufffd\ufffd\ufffd', 'end'])
  const truncated = Buffer.concat([Buffer.from('a\n'), Buffer.from('€').subarray(0, 2)])
  t.strictSame(await tailLines(memory(truncated), 10), ['a', '\ufffd'], 'a truncated sequence at the end')
})

t.test('tailLines: lines across chunk boundaries', async (t) => {
  const sizes: ReadonlyArray<readonly [string, string]> = [
    ['just over 8 KiB', numbered(160)],
    ['over 64 KiB', numbered(1400)],
    ['over 128 KiB', numbered(2700)],
    ['just under 256 KiB', ''],
  ]
  for (const [name, made] of sizes) {
    let content = made
    if (content === '') {
      content = numbered(5000)
      content = content.slice(content.length - (TAIL_MAX_BYTES - 10))
      content = content.slice(content.indexOf('\n') + 1)
    }
    t.ok(Buffer.byteLength(content) > 8 * 1024, `${name}: size ${Buffer.byteLength(content)}`)
    const total = reference(content, Infinity).length
    for (const n of [1, 2, 50, 150, 159, 160, 161, 1000, total - 1, total, total + 5]) {
      t.strictSame(await tailLines(memory(content), n), reference(content, n), `${name}: last ${n}`)
    }
  }
  // A multi-byte character split across the 8 KiB boundary is still whole.
  const euro = 'x'.repeat(8 * 1024 - 1) + '€\nlast\n'
  const src = memory('first\n' + euro)
  const got = await tailLines(src, 2)
  t.strictSame(got, ['x'.repeat(8 * 1024 - 1) + '€', 'last'])
  t.ok(src.reads.length >= 2, 'it took more than one read')
  // CRLF split across a chunk boundary.
  const crlf = 'head\r\n' + 'y'.repeat(8 * 1024 - 6) + '\r\nz\r\n'
  t.strictSame(await tailLines(memory(crlf), 3), reference(crlf, 3), 'CRLF across a boundary')
})

t.test('tailLines: reads little for few lines', async (t) => {
  const src = memory(numbered(20000))
  t.strictSame(await tailLines(src, 3), reference(numbered(20000), 3))
  const bytes = src.reads.reduce((sum, [, len]) => sum + len, 0)
  t.ok(bytes <= 8 * 1024 + 1, `three short lines need one chunk (read ${bytes} bytes)`)
})

t.test('tailLines: the 256 KiB cap', async (t) => {
  let content = ''
  for (let i = 0; content.length < 1024 * 1024; i++) content += `entry ${String(i).padStart(7, '0')} ${'z'.repeat((i * 13) % 90)}\n`
  const data = Buffer.from(content, 'utf8')
  const floor = data.length - TAIL_MAX_BYTES
  // What the window holds: from floor, minus the line that the floor cuts.
  const cutAt = data.indexOf(0x0a, floor)
  const expected = reference(data.subarray(data[floor - 1] === 0x0a ? floor : cutAt + 1).toString('utf8'), Infinity)

  const src = memory(data)
  const got = await tailLines(src, 1_000_000)
  t.strictSame(got, expected, 'only lines from the last 256 KiB')
  t.ok(got.length < reference(content, Infinity).length, 'fewer than all lines')
  t.match(got[0] ?? '', /^entry \d{7} z*$/, 'the first line is whole')
  t.equal(got[got.length - 1], reference(content, 1)[0], 'ends with the last line')
  t.ok(src.reads.every(([pos]) => pos >= floor - 1), 'nothing before the window is read (but the byte before it)')
  const readBytes = src.reads.reduce((sum, [, len]) => sum + len, 0)
  t.ok(readBytes <= TAIL_MAX_BYTES + 1, `reads are bounded (${readBytes} bytes)`)

  // maxBytes: keep the first line when the window starts right after a newline, drop it otherwise.
  t.strictSame(await tailLines(memory('aaaa\nbbbb\ncccc\n'), 10, 10), ['bbbb', 'cccc'], 'window starts at a line')
  t.strictSame(await tailLines(memory('aaaa\nbbbb\ncccc\n'), 10, 9), ['cccc'], 'window cuts a line: dropped')
  t.strictSame(await tailLines(memory('aaaa\nbbbb\ncccc\n'), 10, 15), ['aaaa', 'bbbb', 'cccc'], 'window is the whole source')
  t.strictSame(await tailLines(memory('x'.repeat(100)), 10, 10), [], 'a window inside one line has no whole line')
  t.strictSame(await tailLines(memory('aaaa\r\nbbbb\r\ncccc\r\n'), 10, 12), ['bbbb', 'cccc'], 'CRLF: the window starts at a line')
  t.strictSame(await tailLines(memory('aaaa\r\nbbbb\r\ncccc\r\n'), 10, 13), ['bbbb', 'cccc'], 'CRLF: the window starts inside CRLF')
})

t.test('tailLines: the cap with lone CR line endings', async (t) => {
  // Lines split on a lone \r too, so a large \r-only log must still give its last lines.
  let content = ''
  for (let i = 0; content.length < 1024 * 1024; i++) content += `progress ${String(i).padStart(7, '0')}\r`
  const got = await tailLines(memory(content), 5)
  t.equal(got.length, 5, 'five lines')
  t.strictSame(got, reference(content, 5), 'the last five')
  t.strictSame(await tailLines(memory('aaaa\rbbbb\rcccc\r'), 10, 10), ['bbbb', 'cccc'], 'lone CR: the window starts at a line')
  t.strictSame(await tailLines(memory('aaaa\rbbbb\rcccc\r'), 10, 9), ['cccc'], 'lone CR: the window cuts a line')
})

t.test('readLogTail on files opened by the home door', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hd-tail-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'logs'))
  const home = openHermesHome(dir).profile('default')
  const content = numbered(3000)
  writeFileSync(join(dir, 'logs', 'update.log'), content)
  t.strictSame(await readLogTail(await home.openRead('logs/update.log'), 5), reference(content, 5), 'last lines of a file')
  t.strictSame(await readLogTail(await home.openRead('logs/update.log'), 5000), reference(content, 5000), 'all lines of a file under the cap')
  writeFileSync(join(dir, 'logs', 'crlf.log'), 'one\r\ntwo\r\n')
  t.strictSame(await readLogTail(await home.openRead('logs/crlf.log'), 10), ['one', 'two'])
  writeFileSync(join(dir, 'logs', 'empty.log'), '')
  t.strictSame(await readLogTail(await home.openRead('logs/empty.log'), 10), [], 'empty file')
  t.strictSame(await readLogTail(await home.openRead('logs/missing.log'), 10), [], 'missing file: no lines')
  // What the door refuses (FIFOs, symlinks out, directories) is tested in home.test.ts.
})
