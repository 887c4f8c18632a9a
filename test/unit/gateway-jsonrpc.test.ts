// test/unit/gateway-jsonrpc.test.ts
// The pure parts of /api/ws: what happens to each browser message, and stdout cut into lines.

import t from 'tap'
import { classifyInbound, createLineSplitter, PARSE_ERROR } from '../../src/gateway/jsonrpc.js'

t.test('classifyInbound', async (t) => {
  t.same(classifyInbound(''), { kind: 'skip' })
  t.same(classifyInbound('  \n '), { kind: 'skip' }, 'blank')
  t.same(classifyInbound('{nope'), { kind: 'reply', text: PARSE_ERROR })
  t.same(JSON.parse(PARSE_ERROR), { jsonrpc: '2.0', error: { code: -32700, message: 'parse error' }, id: null })
  t.same(classifyInbound('{"jsonrpc":"2.0","id":5,"method":"gateway.ping"}'), { kind: 'reply', text: '{"jsonrpc":"2.0","result":{"ok":true},"id":5}' })
  t.same(classifyInbound('{"jsonrpc":"2.0","method":"gateway.ping"}'), { kind: 'reply', text: '{"jsonrpc":"2.0","result":{"ok":true},"id":null}' }, 'a ping without id')
  t.same(classifyInbound(' {"id":1,"method":"x"} '), { kind: 'forward', line: '{"id":1,"method":"x"}' }, 'trimmed, otherwise as sent')
  t.same(classifyInbound('{"id":1,\n"method":"x"}'), { kind: 'forward', line: '{"id":1,"method":"x"}' }, 're-serialised when it spans lines')
  t.same(classifyInbound('[1,2]'), { kind: 'forward', line: '[1,2]' }, 'a batch is the gateway\'s business')
  t.same(classifyInbound('"gateway.ping"'), { kind: 'forward', line: '"gateway.ping"' })
})

t.test('line splitter', async (t) => {
  const s = createLineSplitter()
  t.same(s.push(Buffer.from('{"a":1}\n{"b"')), ['{"a":1}'])
  t.equal(s.pending, 4)
  t.same(s.push(Buffer.from(':2}\r\n\n\n{"c":3}\n')), ['{"b":2}', '{"c":3}'], 'CRLF, empty lines dropped')
  t.equal(s.pending, 0)
  const euro = Buffer.from('"€"\n')
  t.same([...s.push(euro.subarray(0, 2)), ...s.push(euro.subarray(2))], ['"€"'], 'a character split across chunks')
  s.push(Buffer.from('tail'))
  t.equal(s.flush(), 'tail', 'the unfinished last line')
  t.equal(s.flush(), null)
})
