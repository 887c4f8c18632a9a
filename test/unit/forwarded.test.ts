// test/unit/forwarded.test.ts
// X-Forwarded-* and RFC 7239 Forwarded parsing, and the right-to-left choice of the client address.

import t from 'tap'
import { compileProxyList } from '../../src/trust/addresses.js'
import { chooseClient, ForwardedHeaderError, MAX_HOPS, parseForwarded, type ForwardedChain, type ForwardedHeaders, type Hop } from '../../src/trust/forwarded.js'
import { thrown } from '../helpers/thrown.js'

function headers (h: Partial<ForwardedHeaders>): ForwardedHeaders {
  return { xForwardedFor: [], xForwardedProto: [], xForwardedHost: [], forwarded: [], ...h }
}

const xff = (h: Partial<ForwardedHeaders>): ForwardedChain => parseForwarded('x-forwarded-for', headers(h))
const rfc = (...lines: string[]): ForwardedChain => parseForwarded('forwarded', headers({ forwarded: lines }))
const values = (chain: ForwardedChain): string[] => chain.hops.map((h) => h.value)

t.test('X-Forwarded-For: entries, lines, ports, brackets', async (t) => {
  const cases: ReadonlyArray<readonly [string, readonly string[], readonly string[]]> = [
    ['one entry', ['198.51.100.7'], ['198.51.100.7']],
    ['a list on one line', ['198.51.100.7, 203.0.113.5,10.0.0.1'], ['198.51.100.7', '203.0.113.5', '10.0.0.1']],
    ['several lines merged in order', ['198.51.100.1', '198.51.100.2, 203.0.113.9'], ['198.51.100.1', '198.51.100.2', '203.0.113.9']],
    ['IPv4 with a port', ['198.51.100.7:4711'], ['198.51.100.7']],
    ['bare IPv6', ['2001:DB8::1'], ['2001:db8::1']],
    ['bracketed IPv6', ['[2001:db8::1]'], ['2001:db8::1']],
    ['bracketed IPv6 with a port', ['[2001:db8::1]:443'], ['2001:db8::1']],
    ['IPv4-mapped folded', ['::ffff:198.51.100.7'], ['198.51.100.7']],
    ['spaces around entries', ['  198.51.100.7  ,  10.0.0.1 '], ['198.51.100.7', '10.0.0.1']],
    [`exactly ${MAX_HOPS} hops`, [Array.from({ length: MAX_HOPS }, (_, i) => `10.0.0.${i + 1}`).join(',')], Array.from({ length: MAX_HOPS }, (_, i) => `10.0.0.${i + 1}`)],
  ]
  for (const [name, lines, hops] of cases) {
    const chain = xff({ xForwardedFor: lines })
    t.strictSame(values(chain), hops, name)
    t.ok(chain.hops.every((h) => h.isAddress), `${name}: every hop is an address`)
    t.strictSame(chain.headers, ['x-forwarded-for'], `${name}: header named`)
  }
  const none = xff({})
  t.strictSame(none.hops, [], 'no header, no hops')
  t.strictSame(none.headers, [], 'no header used')
  t.equal(none.proto, null)
  t.equal(none.host, null)
})

t.test('X-Forwarded-For: malformed entries throw ForwardedHeaderError', async (t) => {
  const cases: ReadonlyArray<readonly [string, readonly string[]]> = [
    ['empty line', ['']],
    ['empty entry in the middle', ['198.51.100.7,,10.0.0.1']],
    ['trailing comma', ['198.51.100.7,']],
    ['empty entry on a second line', ['198.51.100.7', ' ']],
    ['junk', ['not-an-ip']],
    ['junk after a good entry', ['198.51.100.7, not-an-ip']],
    ['CIDR', ['10.0.0.0/8']],
    ['short IPv4', ['127.1']],
    ['leading zeros', ['010.0.0.1']],
    ['out-of-range octet', ['256.1.1.1']],
    ['empty port', ['198.51.100.7:']],
    ['non-numeric port', ['198.51.100.7:http']],
    ['name with a port', ['proxy.local:80']],
    ['unterminated bracket', ['[2001:db8::1']],
    ['junk after bracket', ['[2001:db8::1]x']],
    ['host name', ['localhost']],
    [`more than ${MAX_HOPS} hops`, [Array.from({ length: MAX_HOPS + 1 }, () => '10.0.0.1').join(',')]],
    [`more than ${MAX_HOPS} hops over several lines`, Array.from({ length: MAX_HOPS + 1 }, () => '10.0.0.1')],
  ]
  for (const [name, lines] of cases) {
    const err = thrown(() => xff({ xForwardedFor: lines }))
    t.ok(err instanceof ForwardedHeaderError, `${name} throws ForwardedHeaderError`)
    t.equal((err as ForwardedHeaderError | undefined)?.header, 'X-Forwarded-For', `${name}: names the header`)
  }
})

t.test('X-Forwarded-Proto and X-Forwarded-Host: right-most value', async (t) => {
  const protoCases: ReadonlyArray<readonly [readonly string[], 'http' | 'https' | null]> = [
    [[], null],
    [['https'], 'https'],
    [['http'], 'http'],
    [['HTTPS'], 'https'],
    [['wss'], 'https'],
    [['ws'], 'http'],
    [['http, https'], 'https'],
    [['https, http'], 'http'],
    [['https', 'http'], 'http'],
    [['http', 'https'], 'https'],
  ]
  for (const [lines, proto] of protoCases) {
    const chain = xff({ xForwardedProto: lines })
    t.equal(chain.proto, proto, `proto of ${JSON.stringify(lines)}`)
    t.strictSame(chain.headers, lines.length > 0 ? ['x-forwarded-proto'] : [], 'header used')
  }
  for (const lines of [['ftp'], ['https, ftp'], [''], ['https,'], ['https', '']]) {
    const err = thrown(() => xff({ xForwardedProto: lines }))
    t.ok(err instanceof ForwardedHeaderError, `proto ${JSON.stringify(lines)} throws`)
    t.equal((err as ForwardedHeaderError | undefined)?.header, 'X-Forwarded-Proto')
  }
  // A proto that is not the right-most is not looked at.
  t.equal(xff({ xForwardedProto: ['ftp, https'] }).proto, 'https', 'only the right-most proto is parsed')

  const hostCases: ReadonlyArray<readonly [readonly string[], string | null]> = [
    [[], null],
    [['dash.example.test'], 'dash.example.test'],
    [['evil.example, dash.example.test'], 'dash.example.test'],
    [['evil.example', 'dash.example.test:8443'], 'dash.example.test:8443'],
  ]
  for (const [lines, host] of hostCases) t.equal(xff({ xForwardedHost: lines }).host, host, `host of ${JSON.stringify(lines)}`)
  for (const lines of [[''], ['dash.example.test,']]) {
    const err = thrown(() => xff({ xForwardedHost: lines }))
    t.ok(err instanceof ForwardedHeaderError, `host ${JSON.stringify(lines)} throws`)
    t.equal((err as ForwardedHeaderError | undefined)?.header, 'X-Forwarded-Host')
  }

  const all = xff({ xForwardedFor: ['198.51.100.7'], xForwardedProto: ['https'], xForwardedHost: ['h.example'] })
  t.strictSame(all.headers, ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'], 'all three headers named')
})

t.test('RFC 7239 Forwarded: good values', async (t) => {
  const cases: ReadonlyArray<{ name: string, lines: string[], hops: Hop[], proto?: 'http' | 'https' | null, host?: string | null }> = [
    { name: 'RFC example', lines: ['for=192.0.2.60;proto=http;by=203.0.113.43'], hops: [{ value: '192.0.2.60', isAddress: true }], proto: 'http' },
    { name: 'quoted IPv6 with port', lines: ['for="[2001:db8:cafe::17]:4711"'], hops: [{ value: '2001:db8:cafe::17', isAddress: true }] },
    { name: 'quoted bracketed IPv6 without port', lines: ['For="[2001:DB8::1]"'], hops: [{ value: '2001:db8::1', isAddress: true }] },
    { name: 'quoted IPv4 with port', lines: ['for="192.0.2.43:47011"'], hops: [{ value: '192.0.2.43', isAddress: true }] },
    { name: 'quoted plain IPv4', lines: ['for="192.0.2.43"'], hops: [{ value: '192.0.2.43', isAddress: true }] },
    { name: 'unknown', lines: ['for=unknown'], hops: [{ value: 'unknown', isAddress: false }] },
    { name: 'UNKNOWN folds', lines: ['for=UNKNOWN'], hops: [{ value: 'unknown', isAddress: false }] },
    { name: 'obfuscated identifier', lines: ['for=_hidden'], hops: [{ value: '_hidden', isAddress: false }] },
    { name: 'quoted obfuscated identifier', lines: ['for="_SEVKISEK"'], hops: [{ value: '_SEVKISEK', isAddress: false }] },
    { name: 'chain on one line', lines: ['for=192.0.2.43, for=198.51.100.17'], hops: [{ value: '192.0.2.43', isAddress: true }, { value: '198.51.100.17', isAddress: true }] },
    { name: 'chain over lines', lines: ['for=192.0.2.43', 'for=198.51.100.17;proto=https'], hops: [{ value: '192.0.2.43', isAddress: true }, { value: '198.51.100.17', isAddress: true }], proto: 'https' },
    { name: 'element without for', lines: ['proto=https;host=h.example'], hops: [], proto: 'https', host: 'h.example' },
    { name: 'quoted host with port', lines: ['for=192.0.2.1;host="h.example:8443"'], hops: [{ value: '192.0.2.1', isAddress: true }], host: 'h.example:8443' },
    { name: 'trailing semicolon', lines: ['for=192.0.2.1;'], hops: [{ value: '192.0.2.1', isAddress: true }] },
    { name: 'spaces around pairs', lines: ['for=192.0.2.1 ; proto=https'], hops: [{ value: '192.0.2.1', isAddress: true }], proto: 'https' },
    { name: 'parameter names fold', lines: ['FOR=192.0.2.1;PROTO=HTTPS;HOST=h.example'], hops: [{ value: '192.0.2.1', isAddress: true }], proto: 'https', host: 'h.example' },
    { name: 'escaped character in a quoted string', lines: ['for="_a\\b"'], hops: [{ value: '_ab', isAddress: false }] },
    { name: 'unknown extension parameter ignored', lines: ['for=192.0.2.1;secret=x'], hops: [{ value: '192.0.2.1', isAddress: true }] },
    { name: 'comma inside a quoted host', lines: ['for=192.0.2.1;host="a,b"'], hops: [{ value: '192.0.2.1', isAddress: true }], host: 'a,b' },
  ]
  for (const c of cases) {
    const chain = rfc(...c.lines)
    t.strictSame(chain.hops, c.hops, `${c.name}: hops`)
    t.equal(chain.proto, c.proto ?? null, `${c.name}: proto`)
    t.equal(chain.host, c.host ?? null, `${c.name}: host`)
    t.strictSame(chain.headers, ['forwarded'], `${c.name}: header named`)
  }
  t.strictSame(rfc().headers, [], 'no Forwarded line, no header used')
})

t.test('RFC 7239 Forwarded: only the last element sets proto and host', async (t) => {
  const early = rfc('for=198.51.100.1;proto=https;host=evil.example, for=192.0.2.1')
  t.equal(early.proto, null, 'proto of an earlier element is ignored')
  t.equal(early.host, null, 'host of an earlier element is ignored')
  const late = rfc('for=198.51.100.1;proto=http;host=evil.example, for=192.0.2.1;proto=https;host=dash.example.test')
  t.equal(late.proto, 'https')
  t.equal(late.host, 'dash.example.test')
  const lines = rfc('for=198.51.100.1;proto=https;host=evil.example', 'for=192.0.2.1')
  t.equal(lines.proto, null, 'the last element is the last of the last line')
  t.equal(lines.host, null)
  t.doesNotThrow(() => rfc('for=198.51.100.1;proto=gopher, for=192.0.2.1'), 'an earlier element\'s proto is not even parsed')
})

t.test('RFC 7239 Forwarded: malformed values throw ForwardedHeaderError', async (t) => {
  const cases: ReadonlyArray<readonly [string, readonly string[]]> = [
    ['junk node', ['for=junk!']],
    ['not a node identifier', ['for=hostname']],
    ['unquoted IPv6', ['for=2001:db8::1']],
    ['quoted unbracketed IPv6', ['for="2001:db8::1"']],
    ['unquoted IPv4 with port (colon is not a token char)', ['for=192.0.2.1:80']],
    ['unterminated quote', ['for="[2001:db8::1]:80']],
    ['unterminated quote in a later element', ['for=192.0.2.1, for="_x']],
    ['text after a closing quote', ['for="192.0.2.1"x']],
    ['duplicate parameter', ['for=192.0.2.1;for=192.0.2.2']],
    ['duplicate parameter, other case', ['for=192.0.2.1;FOR=192.0.2.2']],
    ['duplicate proto', ['for=192.0.2.1;proto=http;proto=https']],
    ['empty element', ['for=192.0.2.1,,for=192.0.2.2']],
    ['empty line', ['']],
    ['blank line', ['  ']],
    ['not name=value', ['for']],
    ['no name', ['=192.0.2.1']],
    ['empty value', ['for=']],
    ['bad proto in the last element', ['for=192.0.2.1;proto=ftp']],
    ['bare underscore', ['for=_']],
    ['CIDR', ['for="10.0.0.0/8"']],
    [`more than ${MAX_HOPS} elements`, [Array.from({ length: MAX_HOPS + 1 }, () => 'for=10.0.0.1').join(',')]],
  ]
  for (const [name, lines] of cases) {
    const err = thrown(() => rfc(...lines))
    t.ok(err instanceof ForwardedHeaderError, `${name} throws ForwardedHeaderError`)
    t.equal((err as ForwardedHeaderError | undefined)?.header, 'Forwarded', `${name}: names the header`)
    t.match((err as Error | undefined)?.message ?? '', /^Forwarded: ./, `${name}: message says what`)
  }
  t.doesNotThrow(() => rfc(Array.from({ length: MAX_HOPS }, () => 'for=10.0.0.1').join(',')), `${MAX_HOPS} elements are fine`)
})

t.test('exactly one family is read', async (t) => {
  const both = headers({
    xForwardedFor: ['198.51.100.7'],
    xForwardedProto: ['https'],
    xForwardedHost: ['x.example'],
    forwarded: ['for=203.0.113.9;proto=http;host=f.example'],
  })
  const x = parseForwarded('x-forwarded-for', both)
  t.strictSame(values(x), ['198.51.100.7'])
  t.equal(x.proto, 'https')
  t.equal(x.host, 'x.example')
  t.notOk(x.headers.includes('forwarded'), 'Forwarded not used in x-forwarded-for mode')
  const f = parseForwarded('forwarded', both)
  t.strictSame(values(f), ['203.0.113.9'])
  t.equal(f.proto, 'http')
  t.equal(f.host, 'f.example')
  t.strictSame(f.headers, ['forwarded'], 'X-Forwarded-* not used in forwarded mode')

  // Junk in the other family is never looked at.
  t.doesNotThrow(() => parseForwarded('x-forwarded-for', headers({ forwarded: ['for=junk!'] })), 'Forwarded junk ignored')
  t.doesNotThrow(() => parseForwarded('forwarded', headers({ xForwardedFor: ['not-an-ip'], xForwardedProto: ['ftp'], xForwardedHost: [''] })), 'X-Forwarded junk ignored')
  t.strictSame(parseForwarded('forwarded', headers({ xForwardedFor: ['198.51.100.7'] })).hops, [], 'X-Forwarded-For gives no hops in forwarded mode')
})

t.test('chooseClient: right-to-left walk', async (t) => {
  const proxies = compileProxyList(['10.0.0.0/8', '2001:db8:ffff::/48'])
  const trusted = (a: string): boolean => proxies.matches(a)
  const addr = (value: string): Hop => ({ value, isAddress: true })
  const cases: ReadonlyArray<{ name: string, hops: Hop[], client: string, hop: number }> = [
    { name: 'no hops: the peer is the client', hops: [], client: '10.0.0.254', hop: -1 },
    { name: 'one untrusted hop', hops: [addr('198.51.100.7')], client: '198.51.100.7', hop: 0 },
    { name: 'trusted hops skipped', hops: [addr('198.51.100.7'), addr('10.0.0.2'), addr('10.0.0.3')], client: '198.51.100.7', hop: 0 },
    { name: 'forged left entries are not believed', hops: [addr('127.0.0.1'), addr('198.51.100.7'), addr('10.0.0.2')], client: '198.51.100.7', hop: 1 },
    { name: 'the right-most untrusted wins', hops: [addr('198.51.100.1'), addr('198.51.100.2')], client: '198.51.100.2', hop: 1 },
    { name: 'all trusted: the left-most', hops: [addr('10.0.0.1'), addr('10.0.0.2'), addr('10.0.0.3')], client: '10.0.0.1', hop: 0 },
    { name: 'IPv6 trusted hop skipped', hops: [addr('2001:db8::7'), addr('2001:db8:ffff::1')], client: '2001:db8::7', hop: 0 },
    { name: 'unknown stops the walk', hops: [addr('198.51.100.7'), { value: 'unknown', isAddress: false }, addr('10.0.0.2')], client: 'unknown', hop: 1 },
    { name: 'obfuscated stops the walk', hops: [addr('198.51.100.7'), { value: '_hidden', isAddress: false }], client: '_hidden', hop: 1 },
  ]
  for (const c of cases) {
    const choice = chooseClient('10.0.0.254', c.hops, trusted)
    t.equal(choice.client, c.client, `${c.name}: client`)
    t.equal(choice.hop, c.hop, `${c.name}: hop`)
  }
  // Identifiers are never handed to the trust check.
  const asked: string[] = []
  chooseClient('10.0.0.254', [{ value: '_x', isAddress: false }], (a) => { asked.push(a); return true })
  t.strictSame(asked, [], 'isTrusted is not asked about identifiers')
})

t.test('parse then choose, end to end', async (t) => {
  const proxies = compileProxyList(['loopback', '10.0.0.0/8'])
  const trusted = (a: string): boolean => proxies.matches(a)
  const chain = xff({ xForwardedFor: ['203.0.113.5', '198.51.100.7, 10.1.1.1', '127.0.0.1'] })
  t.strictSame(chooseClient('127.0.0.1', chain.hops, trusted), { client: '198.51.100.7', hop: 1 })
  const fchain = rfc('for=203.0.113.5, for="[::ffff:10.0.0.9]:80"')
  t.strictSame(chooseClient('127.0.0.1', fchain.hops, trusted), { client: '203.0.113.5', hop: 0 }, 'mapped hop folded, trusted, skipped')
})
