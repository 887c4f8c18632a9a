// test/unit/sliced-body.test.ts
// A large body in memory (src/http/sliced-body.ts) is written in slices with a turn of the event
// loop between them, so the loop serves others while a long conversation's megabytes go out; the
// client gets the same bytes, with their length, as from one write. A real Fastify server on a real
// socket; bytes in shared memory (a worker's lent answer) as they are.

import t from 'tap'
import Fastify from 'fastify'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { Readable } from 'node:stream'
import { SLICE_BYTES, SLICED_FROM_BYTES, slicedBody } from '../../src/http/sliced-body.js'

t.test('a small body goes out as it is; a large one as slices, with turns of the event loop between them', async (t) => {
  const small = randomBytes(SLICED_FROM_BYTES - 1)
  t.equal(slicedBody(small), small, 'below the threshold: the same buffer')
  const large = randomBytes(SLICE_BYTES * 5 + 123)
  const body = slicedBody(large)
  t.ok(body instanceof Readable, 'from the threshold: a stream')
  const seen: string[] = []
  const chunks: Buffer[] = []
  // A turn of the loop is when an immediate scheduled before a slice runs before the next one.
  let turns = 0
  const tick = (): void => { turns++; if (turns < 100) setImmediate(tick) } // bounded
  setImmediate(tick)
  for await (const c of body as Readable) {
    chunks.push(c as Buffer)
    seen.push(`${(c as Buffer).length}@${turns}`)
  }
  t.same(Buffer.concat(chunks), large, 'the same bytes, in order')
  t.equal(chunks.length, 6, `six slices (${seen.join(' ')})`)
  t.ok(chunks.every((c) => c.length <= SLICE_BYTES), `none over ${SLICE_BYTES} bytes`)
  const at = seen.map((s) => Number(s.split('@')[1]))
  t.ok(at.every((n, i) => i === 0 || n > (at[i - 1] as number)), `the loop turned between each two slices (${at.join(' ')})`)
})

t.test('through a real server: the client reads the same bytes with their length; HEAD has the length and no body', async (t) => {
  const large = randomBytes(3 * 1024 * 1024 + 7)
  const app = Fastify()
  app.get('/big', async (_request, reply) => reply.header('content-length', large.length).type('application/json').send(slicedBody(large)))
  // A worker's lent answer: bytes in shared memory, however small, are sent as they are.
  const shared = Buffer.from(new SharedArrayBuffer(10_000))
  shared.write('{"in":"shared memory"}')
  app.get('/shared', async (_request, reply) => reply.header('content-length', shared.length).type('application/json').send(slicedBody(shared)))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const port = (app.server.address() as { port: number }).port
  const fetchRaw = (method: string, path = '/big'): Promise<{ status: number, headers: Record<string, unknown>, body: Buffer }> => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
  const got = await fetchRaw('GET')
  t.equal(got.status, 200)
  t.equal(got.headers['content-length'], String(large.length), 'its length, as a whole body has')
  t.notOk(got.headers['transfer-encoding'], 'not chunked')
  t.ok(got.body.equals(large), `the same ${large.length} bytes`)
  const head = await fetchRaw('HEAD')
  t.equal(head.status, 200)
  t.equal(head.headers['content-length'], String(large.length), 'HEAD: the length')
  t.equal(head.body.length, 0, 'HEAD: no body')
  const fromShared = await fetchRaw('GET', '/shared')
  t.ok(fromShared.body.equals(shared), 'bytes in shared memory: the same bytes, not their JSON')
})
