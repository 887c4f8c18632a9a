// test/unit/hub.test.ts
// The event hub: order, channel isolation, removal of empty channels, slow subscribers dropped with
// 1013 subscriber_too_slow, and the channel name check.

import t from 'tap'
import { ERRORS } from '../../src/errors.js'
import { createEventHub, isChannel, isSessionInfo, type Sink } from '../../src/events/hub.js'

interface FakeSink extends Sink {
  bufferedAmount: number
  readyState: number
  readonly sent: string[]
  readonly options: Array<{ binary: false }>
  readonly closes: Array<{ code: number, reason: string }>
}

function sink (bufferedAmount = 0, readyState = 1): FakeSink {
  const s: FakeSink = {
    bufferedAmount,
    readyState,
    sent: [],
    options: [],
    closes: [],
    send (data, options) { s.sent.push(data.toString('utf8')); s.options.push(options) },
    close (code, reason) { s.closes.push({ code, reason }) },
  }
  return s
}

const buf = (text: string): Buffer => Buffer.from(text, 'utf8')

t.test('subscribe and publish: order, count, text frames', async (t) => {
  const hub = createEventHub({ maxBufferedBytes: 1024 })
  const a = sink()
  const b = sink()
  hub.subscribe('chan', a)
  hub.subscribe('chan', b)
  t.equal(hub.channelCount(), 1)
  t.equal(hub.subscriberCount('chan'), 2)
  const messages = ['{"n":1}', '{"n":2}', '{"n":3}', 'é ünïcode', '']
  for (const m of messages) t.equal(hub.publish('chan', buf(m)), 2, `"${m}" reaches both`)
  t.strictSame(a.sent, messages, 'a: verbatim, in order')
  t.strictSame(b.sent, messages, 'b: verbatim, in order')
  t.ok(a.options.every((o) => o.binary === false), 'sent as text frames')
  t.strictSame(a.closes, [], 'nobody closed')
  t.equal(hub.publish('nobody-here', buf('x')), 0, 'a channel without subscribers')
  t.equal(hub.channelCount(), 1, 'publishing does not create a channel')
})

t.test('channels are isolated', async (t) => {
  const hub = createEventHub({ maxBufferedBytes: 1024 })
  const one = sink()
  const two = sink()
  const both = sink()
  hub.subscribe('one', one)
  hub.subscribe('two', two)
  hub.subscribe('one', both)
  hub.subscribe('two', both)
  t.equal(hub.publish('one', buf('to-one')), 2)
  t.equal(hub.publish('two', buf('to-two')), 2)
  t.equal(hub.publish('One', buf('case matters')), 0)
  t.strictSame(one.sent, ['to-one'])
  t.strictSame(two.sent, ['to-two'])
  t.strictSame(both.sent, ['to-one', 'to-two'])
  t.equal(hub.channelCount(), 2)
})

t.test('unsubscribe: the channel goes with its last subscriber', async (t) => {
  const hub = createEventHub({ maxBufferedBytes: 1024 })
  const a = sink()
  const b = sink()
  const offA = hub.subscribe('chan', a)
  const offB = hub.subscribe('chan', b)
  offA()
  t.equal(hub.subscriberCount('chan'), 1)
  t.equal(hub.publish('chan', buf('after a left')), 1)
  t.strictSame(a.sent, [], 'a gets nothing after leaving')
  t.strictSame(b.sent, ['after a left'])
  offB()
  t.equal(hub.subscriberCount('chan'), 0)
  t.equal(hub.channelCount(), 0, 'empty channel removed')
  t.doesNotThrow(() => { offA(); offB() }, 'unsubscribing twice is harmless')
  t.equal(hub.channelCount(), 0)

  // A stale unsubscribe must not remove a newer subscriber of a re-created channel.
  const c = sink()
  hub.subscribe('chan', c)
  offA()
  t.equal(hub.subscriberCount('chan'), 1, 'stale unsubscribe leaves the new subscriber')
  t.equal(hub.publish('chan', buf('x')), 1)

  // The same sink twice counts once.
  const d = sink()
  const offD1 = hub.subscribe('dup', d)
  hub.subscribe('dup', d)
  t.equal(hub.subscriberCount('dup'), 1)
  t.equal(hub.publish('dup', buf('once')), 1)
  t.strictSame(d.sent, ['once'])
  offD1()
  t.equal(hub.subscriberCount('dup'), 0)
})

t.test('a slow subscriber is closed with 1013 and not sent to', async (t) => {
  const drops: string[] = []
  const hub = createEventHub({ maxBufferedBytes: 100, onDrop: (channel) => drops.push(channel) })
  const fast = sink(0)
  const slow = sink(95)
  const edge = sink(90)
  hub.subscribe('chan', fast)
  hub.subscribe('chan', slow)
  hub.subscribe('chan', edge)
  const sent = hub.publish('chan', buf('0123456789'))
  t.equal(sent, 2, 'two got it')
  t.strictSame(fast.sent, ['0123456789'])
  t.strictSame(edge.sent, ['0123456789'], 'exactly at the limit is still sent')
  t.strictSame(slow.sent, [], 'the slow one is not sent to')
  t.strictSame(slow.closes, [{ code: 1013, reason: 'subscriber_too_slow' }])
  t.strictSame(fast.closes, [])
  t.strictSame(drops, ['chan'], 'onDrop told')
  t.equal(hub.subscriberCount('chan'), 2, 'the slow one no longer counts')
  slow.bufferedAmount = 0
  t.equal(hub.publish('chan', buf('next')), 2, 'a dropped subscriber gets nothing more')
  t.strictSame(slow.sent, [], 'still nothing for the dropped one')
  t.equal(slow.closes.length, 1, 'closed once')
  t.equal(ERRORS.HD_ERR_SUBSCRIBER_TOO_SLOW.close, 1013, 'close code registered')
  t.equal(ERRORS.HD_ERR_SUBSCRIBER_TOO_SLOW.reason, 'subscriber_too_slow', 'reason registered')

  const big = createEventHub({ maxBufferedBytes: 4 })
  const empty = sink(0)
  big.subscribe('c', empty)
  t.equal(big.publish('c', buf('12345')), 0, 'a message larger than the limit drops even an idle subscriber')
  t.equal(empty.closes[0]?.code, 1013)
  t.equal(big.channelCount(), 0, 'a channel emptied by drops is removed')
})

t.test('sinks that are not open are skipped', async (t) => {
  const hub = createEventHub({ maxBufferedBytes: 100 })
  const connecting = sink(0, 0)
  const closing = sink(0, 2)
  const closed = sink(1000, 3)
  const open = sink(0, 1)
  for (const s of [connecting, closing, closed, open]) hub.subscribe('c', s)
  t.equal(hub.publish('c', buf('hi')), 1)
  t.strictSame(open.sent, ['hi'])
  for (const s of [connecting, closing, closed]) {
    t.strictSame(s.sent, [], `readyState ${s.readyState}: not sent`)
    t.strictSame(s.closes, [], `readyState ${s.readyState}: not closed`)
  }
})

t.test('isChannel', async (t) => {
  const cases: ReadonlyArray<readonly [unknown, boolean]> = [
    ['chan', true],
    ['a.b-c_D9', true],
    ['x', true],
    ['x'.repeat(128), true],
    ['x'.repeat(129), false],
    ['', false],
    ['a b', false],
    ['a/b', false],
    ['a:b', false],
    ['é', false],
    ['chan\n', false],
    [5, false],
    [null, false],
    [undefined, false],
    [['chan'], false],
  ]
  for (const [value, want] of cases) t.equal(isChannel(value), want, `isChannel(${JSON.stringify(value)?.slice(0, 20)})`)
})

t.test('the last session.info is kept for late subscribers; other events are not', async (t) => {
  const hub = createEventHub({ maxBufferedBytes: 1 << 20 })
  const info = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'session.info', payload: { title: 'T1' } } }))
  const info2 = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'session.info', payload: { title: 'T2' } } }))
  const delta = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'message.delta', payload: { text: '"session.info"' } } }))
  t.equal(hub.publish('c', info), 0, 'nobody subscribed yet')
  hub.publish('c', delta)
  const late = sink()
  hub.subscribe('c', late as FakeSink)
  t.same(late.sent.map(String), [String(info)], 'a late subscriber gets the last session.info only')
  hub.publish('c', info2)
  const later = sink()
  hub.subscribe('c', later as FakeSink)
  t.same(later.sent.map(String), [String(info2)], 'the newest one')
  hub.forget('c')
  const after = sink()
  hub.subscribe('c', after as FakeSink)
  t.same(after.sent, [], 'forgotten')
  t.notOk(isSessionInfo(Buffer.from('{"method":"event","params":{"type":"session.info"')), 'not JSON: not kept')
  t.notOk(isSessionInfo(delta), 'a delta mentioning session.info is not one')
})

t.test('follow: a channel\'s events also go to another, with its last session.info', async (t) => {
  const hub = createEventHub({ maxBufferedBytes: 1 << 20 })
  const info = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'session.info', payload: { title: 'T' } } }))
  const old = sink()
  hub.subscribe('old', old as FakeSink)
  hub.publish('old', info)
  const reloaded = sink()
  hub.subscribe('new', reloaded as FakeSink)
  hub.follow('old', 'new')
  t.same(reloaded.sent.map(String), [String(info)], 'following hands over the title at once')
  hub.publish('old', Buffer.from('x'))
  t.same(reloaded.sent.map(String), [String(info), 'x'], 'and what is published after')
  t.same(old.sent.map(String), [String(info), 'x'], 'the old channel still gets it too')
  hub.follow('old', 'newer')
  hub.publish('old', Buffer.from('y'))
  t.same(reloaded.sent.map(String), [String(info), 'x'], 'a newer follow replaces the older one')
  hub.forget('old')
  hub.publish('old', Buffer.from('z'))
  t.same(reloaded.sent.map(String), [String(info), 'x'], 'forgotten: no longer followed')
})
