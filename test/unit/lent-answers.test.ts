// test/unit/lent-answers.test.ts
// The slots of shared memory a worker's large answers are lent in (src/hermes/lent-answers.ts):
// taken and given back, each allocated once and the same memory each time it is taken again, none
// when all are lent; and the worker's side, which writes only answers larger than the cache keeps
// and only when they fit, as the same UTF-8 bytes an encoder makes.

import t from 'tap'
import { createSlots, LENT_ABOVE_BYTES, ownBytes, writeLent } from '../../src/hermes/lent-answers.js'
import { MAX_CACHED_ANSWER } from '../../src/hermes/native-reads.js'

t.test('slots are taken, given back, and reused with the same memory; none when all are lent', async (t) => {
  const slots = createSlots(2, 4096)
  const a = slots.take()
  const b = slots.take()
  t.ok(a !== null && b !== null, 'two slots')
  t.not(a?.index, b?.index, 'each its own')
  t.equal(slots.take(), null, 'a third: none, all are lent')
  t.equal(slots.lent, 2)
  slots.give(a?.index as number)
  slots.give(a?.index as number) // given twice: counted once
  t.equal(slots.lent, 1, 'a slot given back twice is counted once')
  const again = slots.take()
  t.equal(again?.index, a?.index, 'the free one is taken again')
  t.equal(again?.memory, a?.memory, 'with the memory it had: allocated once')
  t.ok(again?.memory instanceof SharedArrayBuffer, 'shared memory')
  t.equal(again?.memory.byteLength, 4096)
})

t.test('the worker writes into its slot only answers larger than the cache keeps, that fit', async (t) => {
  t.equal(LENT_ABOVE_BYTES, MAX_CACHED_ANSWER, 'lent answers are never ones the answer cache keeps')
  const slot = new Uint8Array(new SharedArrayBuffer(LENT_ABOVE_BYTES * 4))
  t.equal(writeLent(slot, 'x'.repeat(LENT_ABOVE_BYTES)), null, 'as large as the cache keeps: transferred')
  const text = JSON.stringify({ messages: 'é✓ '.repeat(LENT_ABOVE_BYTES / 2) })
  const expected = Buffer.from(text, 'utf8')
  t.ok(expected.length <= slot.length && text.length > LENT_ABOVE_BYTES, `${expected.length} bytes fit`)
  const written = writeLent(slot, text)
  t.equal(written, expected.length, 'its UTF-8 length')
  t.ok(Buffer.from(slot.buffer, 0, written as number).equals(expected), 'the same bytes an encoder makes')
  // Fewer UTF-16 units than the slot's bytes, more UTF-8 bytes than it holds: left to a transfer.
  const wide = '✓'.repeat(Math.floor(slot.length / 2))
  t.equal(writeLent(slot, wide), null, 'longer in UTF-8 than the slot: transferred')
  t.equal(writeLent(slot, 'y'.repeat(slot.length + 1)), null, 'longer than the slot: transferred')
})

t.test('an answer in parts (SQLite\'s bytes) goes into the slot, or into memory of its own, whole', async (t) => {
  const slot = new Uint8Array(new SharedArrayBuffer(LENT_ABOVE_BYTES * 4))
  const parts = [Buffer.from('{"session_id":"s","messages":'), Buffer.alloc(LENT_ABOVE_BYTES, 0x61), Buffer.from('}')]
  const whole = Buffer.concat(parts)
  const written = writeLent(slot, parts)
  t.equal(written, whole.length, 'its length')
  t.ok(Buffer.from(slot.buffer, 0, written as number).equals(whole), 'the parts, in order')
  t.equal(writeLent(slot, [Buffer.from('{}')]), null, 'small: transferred')
  t.equal(writeLent(slot, [Buffer.alloc(slot.length), Buffer.from('}')]), null, 'longer than the slot: transferred')
  const own = ownBytes(parts)
  t.ok(Buffer.from(own).equals(whole), 'the same bytes, to transfer')
  t.ok(own.byteOffset === 0 && own.byteLength === own.buffer.byteLength, 'in a buffer of their own (a transfer takes the whole of it)')
  t.ok(Buffer.from(ownBytes('é✓')).equals(Buffer.from('é✓')), 'text: its UTF-8')
})
