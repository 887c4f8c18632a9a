// test/unit/gateway.test.ts
// The gateway's files as Hermes leaves them: gateway.pid (bare number or JSON record) and
// gateway_state.json, and the normalisation of gateway_updated_at.

import t from 'tap'
import { normalizeUpdatedAt, parsePidRecord, parseRuntimeStatus } from '../../src/hermes/gateway.js'

t.test('parsePidRecord', async (t) => {
  const cases: ReadonlyArray<readonly [string, { pid: number, startTime: number | null } | null]> = [
    // bare number
    ['1234', { pid: 1234, startTime: null }],
    [' 1234\n', { pid: 1234, startTime: null }],
    ['1', { pid: 1, startTime: null }],
    ['2147483647', { pid: 2147483647, startTime: null }],
    ['2147483648', null],
    ['9999999999', null],
    ['12345678901', null],
    ['0', null],
    ['-5', null],
    ['12.5', null],
    ['1e3', null],
    ['0x10', null],
    // JSON record
    ['{"pid": 1234, "kind": "hermes-gateway", "argv": ["hermes", "gateway", "run"], "start_time": 98765}', { pid: 1234, startTime: 98765 }],
    ['{"pid": 1234, "start_time": null}', { pid: 1234, startTime: null }],
    ['{"pid": 1234}', { pid: 1234, startTime: null }],
    ['{"pid": 1234, "start_time": "98765"}', { pid: 1234, startTime: null }],
    ['  {"pid": 42}  \n', { pid: 42, startTime: null }],
    ['{"pid": "1234"}', null],
    ['{"pid": -1}', null],
    ['{"pid": 0}', null],
    ['{"pid": 1.5}', null],
    ['{"pid": 2147483648}', null],
    ['{"start_time": 5}', null],
    ['{}', null],
    ['[1234]', null],
    ['null', null],
    ['"1234"', null],
    ['true', null],
    // junk
    ['', null],
    ['   ', null],
    ['junk', null],
    ['1234 5678', null],
    ['{"pid": 1234', null],
  ]
  for (const [text, want] of cases) t.strictSame(parsePidRecord(text), want, `parsePidRecord(${JSON.stringify(text.slice(0, 60))})`)
})

t.test('normalizeUpdatedAt', async (t) => {
  const nowSeconds = Math.floor(Date.now() / 1000)
  const cases: ReadonlyArray<readonly [unknown, string | null, string]> = [
    ['2026-05-07T10:00:00Z', '2026-05-07T10:00:00.000Z', 'ISO with Z'],
    ['2026-05-07T10:00:00z', '2026-05-07T10:00:00.000Z', 'ISO with lower-case z'],
    ['2026-05-07T10:00:00+02:00', '2026-05-07T08:00:00.000Z', 'ISO with an offset'],
    ['2026-05-07T10:00:00-0130', '2026-05-07T11:30:00.000Z', 'ISO with a colon-less offset'],
    ['2026-05-07T10:00:00+00:00', '2026-05-07T10:00:00.000Z', 'Python isoformat in UTC'],
    ['2026-05-07T10:00:00', '2026-05-07T10:00:00.000Z', 'ISO without a zone is UTC'],
    ['2026-05-07T10:00:00.123', '2026-05-07T10:00:00.123Z', 'milliseconds, no zone'],
    ['  2026-05-07T10:00:00Z  ', '2026-05-07T10:00:00.000Z', 'surrounding spaces'],
    [1778148000, '2026-05-07T10:00:00.000Z', 'epoch seconds'],
    [1778148000.5, '2026-05-07T10:00:00.500Z', 'fractional epoch seconds'],
    [946684800, '2000-01-01T00:00:00.000Z', 'exactly 2000-01-01'],
    [nowSeconds, new Date(nowSeconds * 1000).toISOString(), 'now'],
    [nowSeconds + 3600, new Date((nowSeconds + 3600) * 1000).toISOString(), 'an hour ahead (clock skew)'],
    // refused
    [946684799, null, 'just before 2000'],
    [0, null, 'epoch zero'],
    [-1, null, 'negative'],
    ['1999-12-31T23:59:59Z', null, 'ISO before 2000'],
    ['1970-01-01T00:00:00', null, 'ISO epoch'],
    [nowSeconds + 2 * 86_400, null, 'two days ahead'],
    ['2999-01-01T00:00:00Z', null, 'far future ISO'],
    [1778148000000, null, 'epoch milliseconds read as seconds are far future'],
    [Number.NaN, null, 'NaN'],
    [Number.POSITIVE_INFINITY, null, 'Infinity'],
    ['', null, 'empty'],
    ['   ', null, 'blank'],
    ['yesterday', null, 'junk'],
    ['1778148000', null, 'epoch seconds as a string'],
    [null, null, 'null'],
    [undefined, null, 'undefined'],
    [true, null, 'boolean'],
    [{}, null, 'object'],
  ]
  for (const [value, want, name] of cases) t.equal(normalizeUpdatedAt(value), want, name)
})

t.test('parseRuntimeStatus', async (t) => {
  const full = parseRuntimeStatus(JSON.stringify({
    pid: 1234,
    kind: 'hermes-gateway',
    gateway_state: 'running',
    exit_reason: 'restart requested',
    restart_requested: false,
    active_agents: 2,
    platforms: { telegram: { state: 'connected' } },
    updated_at: '2026-05-07T10:00:00Z',
  }))
  t.strictSame(full, {
    gatewayState: 'running',
    exitReason: 'restart requested',
    platforms: { telegram: { state: 'connected' } },
    updatedAt: '2026-05-07T10:00:00.000Z',
    activeAgents: 2,
  })
  const empty = { gatewayState: null, exitReason: null, platforms: {}, updatedAt: null, activeAgents: 0 }
  t.strictSame(parseRuntimeStatus('{}'), empty, 'missing fields have defaults')
  t.strictSame(parseRuntimeStatus(JSON.stringify({ gateway_state: 7, exit_reason: false, platforms: [1], updated_at: 'junk', active_agents: 'x' })), empty, 'wrong types have defaults')
  t.strictSame(parseRuntimeStatus(JSON.stringify({ platforms: null, updated_at: 1778148000 })), { ...empty, updatedAt: '2026-05-07T10:00:00.000Z' }, 'epoch updated_at')

  const agents: ReadonlyArray<readonly [unknown, number]> = [[3, 3], ['3', 3], [2.7, 2], [-1, 0], [0, 0], [null, 0], ['x', 0], [Number.MAX_VALUE, Number.MAX_VALUE]]
  for (const [value, want] of agents) t.equal(parseRuntimeStatus(JSON.stringify({ active_agents: value }))?.activeAgents, want, `active_agents ${JSON.stringify(value)}`)

  for (const junk of ['', 'junk', '[]', '[{"gateway_state":"running"}]', 'null', '"running"', '42', '{"gateway_state":']) {
    t.equal(parseRuntimeStatus(junk), null, `parseRuntimeStatus(${JSON.stringify(junk)}) is null`)
  }
})
