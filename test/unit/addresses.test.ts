// test/unit/addresses.test.ts
// Address parsing (strict IPv4, IPv6 with zones, IPv4-mapped folding) and the trusted-proxy matcher.

import t from 'tap'
import { compileProxyList, isLoopbackAddress, normalizeAddress, parseAddress, PROXY_RANGE_NAMES, ProxyEntryError } from '../../src/trust/addresses.js'
import { thrown } from '../helpers/thrown.js'

t.test('parseAddress / normalizeAddress', async (t) => {
  const cases: ReadonlyArray<readonly [string, string | null, 'ipv4' | 'ipv6' | null]> = [
    // strict IPv4: four-part decimal only
    ['127.0.0.1', '127.0.0.1', 'ipv4'],
    ['0.0.0.0', '0.0.0.0', 'ipv4'],
    ['255.255.255.255', '255.255.255.255', 'ipv4'],
    ['127.1', null, null],
    ['127.0.1', null, null],
    ['2130706433', null, null],
    ['010.0.0.1', null, null],
    ['01.2.3.4', null, null],
    ['0x7f.0.0.1', null, null],
    ['256.0.0.1', null, null],
    ['1.2.3.256', null, null],
    ['1.2.3.4.5', null, null],
    ['1.2.3.', null, null],
    [' 1.2.3.4', null, null],
    ['1.2.3.4%eth0', null, null],
    ['', null, null],
    ['not-an-ip', null, null],
    ['localhost', null, null],
    // IPv6, compressed and lower-cased
    ['::1', '::1', 'ipv6'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1', 'ipv6'],
    ['fe80::1%eth0', 'fe80::1%eth0', 'ipv6'],
    ['[::1]', null, null],
    ['::1%', null, null],
    ['2001:db8::g', null, null],
    ['1:2:3:4:5:6:7:8:9', null, null],
    [`${'1:'.repeat(40)}1`, null, null],
    // IPv4-mapped IPv6 folds to IPv4; IPv4-compatible (::a.b.c.d) does not
    ['::ffff:10.0.0.1', '10.0.0.1', 'ipv4'],
    ['::FFFF:127.0.0.1', '127.0.0.1', 'ipv4'],
    ['::ffff:7f00:1', '127.0.0.1', 'ipv4'],
    ['::ffff:256.0.0.1', null, null],
    ['::ffff:127.1', null, null],
    // ipaddr.js reads the deprecated IPv4-compatible form ::a.b.c.d as mapped, so it folds too
    ['::127.0.0.1', '127.0.0.1', 'ipv4'],
  ]
  for (const [input, expected, kind] of cases) {
    t.equal(normalizeAddress(input), expected, `normalizeAddress(${JSON.stringify(input)})`)
    t.equal(parseAddress(input)?.kind() ?? null, kind, `kind of ${JSON.stringify(input)}`)
  }
})

t.test('mapped IPv6 keeps the embedded IPv4 strict (no hex, no leading zeros)', async (t) => {
  // "IPv4 only in four-part decimal" must also hold for the IPv4 part of a mapped address;
  // otherwise ::ffff:0x7f.0.0.1 becomes 127.0.0.1 and ::ffff:010.0.0.1 becomes 10.0.0.1.
  for (const input of ['::ffff:0x7f.0.0.1', '::ffff:010.0.0.1']) {
    t.equal(parseAddress(input), null, `${input} is refused`)
  }
})

t.test('isLoopbackAddress', async (t) => {
  const cases: ReadonlyArray<readonly [string, boolean]> = [
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['128.0.0.1', false],
    ['::2', false],
    ['127.1', false],
    ['localhost', false],
    ['', false],
  ]
  for (const [input, expected] of cases) t.equal(isLoopbackAddress(input), expected, JSON.stringify(input))
})

t.test('compileProxyList: what matches and what does not', async (t) => {
  const cases: ReadonlyArray<{ entries: string[], match: string[], noMatch: string[] }> = [
    { entries: ['loopback'], match: ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'], noMatch: ['128.0.0.1', '::2', '10.0.0.1', '::7f00:1'] },
    { entries: ['LOOPBACK'], match: ['127.0.0.1'], noMatch: ['10.0.0.1'] },
    { entries: ['private'], match: ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.254', '192.168.1.1', 'fc00::1', 'fd12:3456::1', '::ffff:192.168.0.9'], noMatch: ['11.0.0.1', '172.15.255.255', '172.32.0.1', '192.169.0.1', 'fe00::1', '2001:db8::1', '127.0.0.1'] },
    { entries: ['linklocal'], match: ['169.254.0.1', '169.254.255.255', 'fe80::1', 'fe80::1%eth0', 'febf::1'], noMatch: ['169.253.0.1', '169.255.0.1', 'fec0::1', '10.0.0.1'] },
    { entries: ['10.0.0.0/8'], match: ['10.0.0.0', '10.200.3.4', '::ffff:10.1.1.1'], noMatch: ['11.0.0.0', '9.255.255.255', '::ffff:11.0.0.1'] },
    { entries: ['192.0.2.7'], match: ['192.0.2.7', '::ffff:192.0.2.7'], noMatch: ['192.0.2.8', '192.0.2.6'] },
    { entries: ['192.0.2.0/31'], match: ['192.0.2.0', '192.0.2.1'], noMatch: ['192.0.2.2'] },
    { entries: ['0.0.0.0/0'], match: ['1.2.3.4', '255.255.255.255'], noMatch: ['::1', '2001:db8::1'] },
    { entries: ['::/0'], match: ['::1', '2001:db8::1'], noMatch: ['1.2.3.4', '127.0.0.1'] },
    { entries: ['2001:db8::/32'], match: ['2001:db8::1', '2001:db8:ffff::1'], noMatch: ['2001:db9::1', '2001:db7::1'] },
    { entries: ['2001:db8::7'], match: ['2001:db8:0::7', '2001:DB8::7'], noMatch: ['2001:db8::8'] },
    // mapped CIDR: ::ffff:10.0.0.0/104 folds to 10.0.0.0/8
    { entries: ['::ffff:10.0.0.0/104'], match: ['10.1.2.3', '::ffff:10.9.9.9'], noMatch: ['11.0.0.1', '::ffff:11.0.0.1', '::a00:1'] },
    { entries: ['::ffff:192.0.2.7'], match: ['192.0.2.7'], noMatch: ['192.0.2.8'] },
    { entries: ['::ffff:192.0.2.0/120'], match: ['192.0.2.200'], noMatch: ['192.0.3.1'] },
    { entries: ['10.0.0.1', '2001:db8::/64'], match: ['10.0.0.1', '2001:db8::abcd'], noMatch: ['10.0.0.2', '2001:db8:1::1'] },
    // empty list: nothing is trusted
    { entries: [], match: [], noMatch: ['127.0.0.1', '::1', '10.0.0.1'] },
  ]
  for (const c of cases) {
    const m = compileProxyList(c.entries)
    for (const a of c.match) t.equal(m.matches(a), true, `${c.entries.join(',') || '(empty)'} matches ${a}`)
    for (const a of c.noMatch) t.equal(m.matches(a), false, `${c.entries.join(',') || '(empty)'} does not match ${a}`)
  }
})

t.test('compileProxyList: non-addresses never match, and repeated lookups agree', async (t) => {
  const m = compileProxyList(['0.0.0.0/0', '::/0'])
  for (const junk of ['', 'not-an-ip', '127.1', '010.0.0.1', '[::1]', '1.2.3.4:80']) t.equal(m.matches(junk), false, `junk ${JSON.stringify(junk)}`)
  // The verdict cache must not change a verdict, and must survive more distinct peers than its limit.
  const p = compileProxyList(['10.0.0.0/8'])
  for (let i = 0; i < 1100; i++) p.matches(`11.0.${i >> 8}.${i & 255}`)
  t.equal(p.matches('10.0.0.1'), true, 'inside after many lookups')
  t.equal(p.matches('10.0.0.1'), true, 'cached verdict is the same')
  t.equal(p.matches('11.0.0.1'), false, 'outside after many lookups')
  t.strictSame(p.entries, ['10.0.0.0/8'], 'entries kept as given')
  t.ok(Object.isFrozen(p.entries), 'entries frozen')
})

t.test('compileProxyList: CIDR prefix bounds', async (t) => {
  const ok = ['10.0.0.0/0', '10.0.0.0/32', '::/0', '::1/128', '::ffff:10.0.0.0/96', '::ffff:10.0.0.0/128']
  for (const e of ok) t.doesNotThrow(() => compileProxyList([e]), `${e} is accepted`)
  const bad = ['10.0.0.0/33', '::1/129', '::ffff:10.0.0.0/95', '::ffff:10.0.0.0/129', '10.0.0.0/-1', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/ 8', '10.0.0.0/08a', '10.0.0.0/1000', '10.0.0.0/x']
  for (const e of bad) {
    const err = thrown(() => compileProxyList([e]))
    t.ok(err instanceof ProxyEntryError, `${e} is refused`)
    t.equal((err as ProxyEntryError | undefined)?.entry, e, `${e} is named`)
  }
})

t.test('ProxyEntryError names the bad entry', async (t) => {
  const cases = ['bogus', '127.1', '10.0.0.0/33', '256.0.0.0/8', 'loopbackk', '*', '']
  for (const entry of cases) {
    const caught = thrown(() => compileProxyList(['10.0.0.0/8', entry, 'also-bad']))
    t.ok(caught instanceof ProxyEntryError, `${JSON.stringify(entry)} throws ProxyEntryError`)
    if (caught instanceof ProxyEntryError) {
      t.equal(caught.entry, entry, 'the first bad entry is named')
      t.match(caught.message, `"${entry}"`, 'the message quotes it')
      for (const name of PROXY_RANGE_NAMES) t.match(caught.message, name, `the message lists ${name}`)
    }
  }
  t.strictSame([...PROXY_RANGE_NAMES].sort(), ['linklocal', 'loopback', 'private'])
})
