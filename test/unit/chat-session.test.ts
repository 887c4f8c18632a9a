// test/unit/chat-session.test.ts
// The chat session and registry with stand-ins for node-pty and the socket (the real ones run in
// test/chat*.test.ts): flow control by the viewer's queue, supersede, replay, dropped input from a
// superseded viewer, eviction and the idle reaper.

import t from 'tap'
import { createChatRegistry } from '../../src/chat/registry.js'
import { createChatSession, INPUT_POLL_MS, type ChatSession, type PtyLike, type Viewer } from '../../src/chat/session.js'

class FakePty implements PtyLike {
  readonly pid = 0 // never a real group: signalGroup refuses pids ≤ 1
  paused = false
  written: Buffer[] = []
  sizes: Array<[number, number]> = []
  private data: (d: Buffer) => void = () => {}
  private exit: (e: { exitCode: number, signal?: number }) => void = () => {}
  write (d: Buffer): void { this.written.push(d); this.unread += d.length }
  resize (c: number, r: number): void { this.sizes.push([c, r]) }
  pause (): void { this.paused = true }
  resume (): void { this.paused = false }
  onData (l: (d: Buffer) => void): void { this.data = l }
  onExit (l: (e: { exitCode: number, signal?: number }) => void): void { this.exit = l }
  emit (s: string | Buffer): void { this.data(typeof s === 'string' ? Buffer.from(s) : s) }
  die (code = 0, signal?: number): void { this.exit(signal === undefined ? { exitCode: code } : { exitCode: code, signal }) }
  /** Input the program has not read yet: all of it until take() is called. */
  unread = 0
  pendingInput (): number { return this.unread }
  take (n = this.unread): void { this.unread -= n }
}

class FakeViewer implements Viewer {
  readyState = 1
  bufferedAmount = 0
  sent: Buffer[] = []
  callbacks: Array<() => void> = []
  closes: Array<[number | undefined, string | undefined]> = []
  send (data: Buffer, _o: { binary: boolean }, cb?: () => void): void {
    this.sent.push(data)
    this.bufferedAmount += data.length
    if (cb !== undefined) this.callbacks.push(cb)
  }
  /** The socket wrote `n` queued frames out. */
  flush (n = this.callbacks.length): void {
    for (const cb of this.callbacks.splice(0, n)) {
      this.bufferedAmount -= this.sent[this.sent.length - this.callbacks.length - 1]?.length ?? 0
      cb()
    }
  }
  drain (): void {
    this.bufferedAmount = 0
    for (const cb of this.callbacks.splice(0)) cb()
  }
  close (code?: number, reason?: string): void { this.closes.push([code, reason]); this.readyState = 3 }
  readPaused = false
  pause (): void { this.readPaused = true }
  resume (): void { this.readPaused = false }
  text (): string { return Buffer.concat(this.sent).toString() }
}

const opts = { ringBytes: 1024, highWater: 100, lowWater: 20, inputHighWater: 1000, inputLowWater: 200 }

t.test('flow control: pause above the high mark, resume at the low mark', async (t) => {
  const pty = new FakePty()
  const s = createChatSession(pty, { ...opts, ringBytes: null })
  const v = new FakeViewer()
  s.attach(v)
  pty.emit('x'.repeat(60))
  t.notOk(pty.paused, 'under the high mark')
  pty.emit('y'.repeat(60))
  t.ok(pty.paused && s.paused, 'paused once the queue passes it')
  v.bufferedAmount = 50
  v.callbacks.shift()?.()
  t.ok(pty.paused, 'still paused above the low mark')
  v.drain()
  t.notOk(pty.paused, 'resumed once the queue is down')
  t.equal(v.text(), 'x'.repeat(60) + 'y'.repeat(60), 'nothing lost')
})

t.test('big chunks go out in 64 KiB frames', async (t) => {
  const pty = new FakePty()
  const s = createChatSession(pty, { ...opts, ringBytes: null, highWater: 1 << 30, lowWater: 0 })
  const v = new FakeViewer()
  s.attach(v)
  pty.emit(Buffer.alloc(65536 * 2 + 1))
  t.same(v.sent.map((b) => b.length), [65536, 65536, 1])
})

t.test('kept alive: replay, supersede (4409), input only from the current viewer, detach resumes', async (t) => {
  const pty = new FakePty()
  const s = createChatSession(pty, opts)
  pty.emit('before anyone ')
  const a = new FakeViewer()
  s.attach(a)
  t.equal(a.text(), 'before anyone ', 'the output so far is replayed')
  pty.emit('live')
  t.equal(a.text(), 'before anyone live')
  t.equal(s.input(a, Buffer.from('hi')), 'written')
  t.same(s.input(a, Buffer.from('\x1b[RESIZE:90;30]')), { cols: 90, rows: 30 })
  t.same(pty.sizes, [[90, 30]])

  pty.emit('z'.repeat(200))
  t.ok(pty.paused, 'a slow viewer paused the PTY')
  const b = new FakeViewer()
  s.attach(b)
  t.same(a.closes, [[4409, 'superseded']], 'the earlier viewer is closed 4409')
  t.equal(b.text(), 'before anyone live' + 'z'.repeat(200), 'the new viewer gets the replay')
  t.ok(pty.paused, 'the replay fills the new viewer\'s queue, so the PTY waits for it ...')
  a.drain()
  t.ok(pty.paused, '... not for the old viewer')
  b.drain()
  t.notOk(pty.paused, 'resumed once the new viewer has read the replay')
  t.equal(s.input(a, Buffer.from('late')), 'dropped', 'input from the superseded viewer is dropped')
  t.notOk(s.detach(a), 'the superseded viewer\'s late close does not detach the current one')
  t.equal(s.detachedAt, null)
  pty.emit('w'.repeat(200))
  t.ok(pty.paused)
  t.ok(s.detach(b), 'the current viewer detaches')
  t.notOk(pty.paused, 'nobody reading: the PTY drains into the ring')
  t.type(s.detachedAt, 'number')
  t.same(pty.written.map(String), ['hi'])

  const c = new FakeViewer()
  s.attach(c)
  pty.die(0)
  t.same(c.closes, [[4410, 'process_exited code=0']], 'exit closes the attached viewer 4410')
  t.notOk(s.alive)
  t.same(await s.exited, { exitCode: 0, signal: 0 })
  t.equal(s.input(c, Buffer.from('x')), 'dropped', 'no input after exit')
})

t.test('legacy: exit closes 1000', async (t) => {
  const pty = new FakePty()
  const s = createChatSession(pty, { ...opts, ringBytes: null })
  const v = new FakeViewer()
  s.attach(v)
  pty.die(2)
  t.same(v.closes, [[1000, 'exited code=2']])
})

t.test('typed input the program does not read pauses the viewer\'s socket (issue 10 item 9)', async (t) => {
  const pty = new FakePty()
  const s = createChatSession(pty, opts)
  const v = new FakeViewer()
  s.attach(v)
  t.equal(s.input(v, Buffer.alloc(900, 0x61)), 'written')
  t.notOk(v.readPaused, 'below the high-water mark the socket is read')
  s.input(v, Buffer.alloc(200, 0x61))
  t.ok(v.readPaused, 'above it, the socket is paused')
  t.ok(s.inputThrottled)
  pty.take(500)
  await new Promise((resolve) => setTimeout(resolve, INPUT_POLL_MS * 3))
  t.ok(v.readPaused, 'still paused while more than the low-water mark is unread')
  pty.take(500)
  // Bounded wait: the session looks every INPUT_POLL_MS.
  for (let i = 0; i < 50 && v.readPaused; i++) await new Promise((resolve) => setTimeout(resolve, INPUT_POLL_MS))
  t.notOk(v.readPaused, 'read again once the program has caught up')
  t.notOk(s.inputThrottled)
  s.input(v, Buffer.alloc(2000, 0x61))
  t.ok(v.readPaused, 'paused again')
  t.ok(s.detach(v), 'the viewer leaves')
  t.notOk(v.readPaused, 'a departed viewer is not left paused')
  const w = new FakeViewer()
  s.attach(w)
  s.input(w, Buffer.alloc(10, 0x61))
  t.ok(w.readPaused, 'a new viewer typing into a program that still has not read is paused too')
  pty.die(0)
  t.notOk(w.readPaused, 'the exit releases it')
})

t.test('a chat killed by a signal says which (issue 10 item 13)', async (t) => {
  const ptyA = new FakePty()
  const ptyB = new FakePty()
  const kept = createChatSession(ptyA, opts)
  const legacy = createChatSession(ptyB, { ...opts, ringBytes: null })
  const a = new FakeViewer()
  const b = new FakeViewer()
  kept.attach(a)
  legacy.attach(b)
  // node-pty reports a signalled child as exit code 0 with the signal's number.
  ptyA.die(0, 9)
  ptyB.die(0, 15)
  t.same(a.closes, [[4410, 'process_exited signal=SIGKILL']])
  t.same(b.closes, [[1000, 'exited signal=SIGTERM']])
})

t.test('registry: reuse, eviction of the longest detached, full, idle reaping, exit', async (t) => {
  const ptys: FakePty[] = []
  const spawn = (): ChatSession => {
    const pty = new FakePty()
    ptys.push(pty)
    return createChatSession(pty, opts)
  }
  const ended: Array<[string, string]> = []
  const reg = createChatRegistry({ maxSessions: 2, idleMs: 1000, sweepMs: 60_000, onEnd: (k, why) => ended.push([k, why]) })
  // Stand-ins cannot be signalled: they end when told to.
  t.teardown(async () => {
    for (const p of ptys) p.die()
    await reg.closeAll()
  })
  const a = reg.attachOrSpawn('a', spawn)
  t.equal(reg.attachOrSpawn('a', spawn), a, 'the same key finds the same session')
  const b = reg.attachOrSpawn('b', spawn)
  const va = new FakeViewer()
  const vb = new FakeViewer()
  a.attach(va)
  b.attach(vb)
  t.throws(() => reg.attachOrSpawn('c', spawn), { code: 'HD_ERR_CHAT_REGISTRY_FULL' }, 'full when every session is attached')
  b.detach(vb)
  const c = reg.attachOrSpawn('c', spawn)
  t.same(ended, [['b', 'evicted']], 'the detached one made room')
  t.equal(reg.get('b'), undefined)
  t.equal(reg.size, 2)

  c.attach(new FakeViewer())
  a.detach(va)
  const since = a.detachedAt as number
  t.equal(reg.reap(since + 999), 0, 'not idle long enough')
  t.equal(reg.reap(since + 1000), 1, 'reaped after the idle time')
  t.equal(reg.get('a'), undefined)

  ptys[2]?.die(0)
  await c.exited
  await Promise.resolve()
  t.equal(reg.get('c'), undefined, 'an exited session leaves the registry')
  t.same(ended.at(-1), ['c', 'exited'])
})
