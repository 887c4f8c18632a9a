// test/unit/hosts.test.ts
// Host and Origin parsing, and the allowed-host list that stops DNS rebinding.

import t from 'tap'
import { compileHostAllowList, parseHost, parseOrigin, sameOrigin, type HostValue } from '../../src/trust/hosts.js'

t.test('parseHost: normalisation', async (t) => {
  const cases: ReadonlyArray<readonly [string, { name: string, port: number | null, isIp: boolean, key: string }]> = [
    ['example.com', { name: 'example.com', port: null, isIp: false, key: 'example.com' }],
    ['Dash.EXAMPLE.test', { name: 'dash.example.test', port: null, isIp: false, key: 'dash.example.test' }],
    ['example.com.', { name: 'example.com', port: null, isIp: false, key: 'example.com' }],
    ['example.com.:8080', { name: 'example.com', port: 8080, isIp: false, key: 'example.com:8080' }],
    ['example.com:80', { name: 'example.com', port: 80, isIp: false, key: 'example.com' }],
    ['example.com:443', { name: 'example.com', port: 443, isIp: false, key: 'example.com' }],
    ['example.com:8443', { name: 'example.com', port: 8443, isIp: false, key: 'example.com:8443' }],
    ['  example.com  ', { name: 'example.com', port: null, isIp: false, key: 'example.com' }],
    ['localhost', { name: 'localhost', port: null, isIp: false, key: 'localhost' }],
    ['LOCALHOST.:9119', { name: 'localhost', port: 9119, isIp: false, key: 'localhost:9119' }],
    ['a', { name: 'a', port: null, isIp: false, key: 'a' }],
    ['my_host', { name: 'my_host', port: null, isIp: false, key: 'my_host' }],
    ['127.0.0.1:9119', { name: '127.0.0.1', port: 9119, isIp: true, key: '127.0.0.1:9119' }],
    ['127.0.0.1:80', { name: '127.0.0.1', port: 80, isIp: true, key: '127.0.0.1' }],
    ['127.1', { name: '127.1', port: null, isIp: false, key: '127.1' }],
    ['[::1]', { name: '::1', port: null, isIp: true, key: '[::1]' }],
    ['[::1]:9119', { name: '::1', port: 9119, isIp: true, key: '[::1]:9119' }],
    ['[2001:DB8:0::1]:443', { name: '2001:db8::1', port: 443, isIp: true, key: '[2001:db8::1]' }],
    ['host:1', { name: 'host', port: 1, isIp: false, key: 'host:1' }],
    ['host:65535', { name: 'host', port: 65535, isIp: false, key: 'host:65535' }],
    // Issue 10 item 13: an IPv4-mapped IPv6 literal is an IP literal; it folds to the IPv4 form.
    ['[::ffff:127.0.0.1]', { name: '127.0.0.1', port: null, isIp: true, key: '127.0.0.1' }],
    ['[::FFFF:7f00:1]:9119', { name: '127.0.0.1', port: 9119, isIp: true, key: '127.0.0.1:9119' }],
  ]
  for (const [raw, want] of cases) {
    const got = parseHost(raw)
    t.strictSame(got, want, `parseHost(${JSON.stringify(raw)})`)
  }
})

t.test('parseHost: refused values', async (t) => {
  const refused = [
    '', '   ', '::1', '2001:db8::1', 'fe80::1%eth0', '[::1', '[::1]x', '[::1]:', '[::1]:abc', '[127.0.0.1]', '[junk]',
    'host:', 'host:0', 'host:65536', 'host:123456', 'host:-1', 'host:8o', 'host: 80', 'a:b:c',
    'host..', '.host', '-host', 'host-', 'ho st', 'ho/st', 'user@host', 'ho%st', 'ho"st', 'ho<st', 'ho\u00e9st',
    `${'a'.repeat(263)}`, `${'a'.repeat(254)}`,
  ]
  for (const raw of refused) t.equal(parseHost(raw), null, `parseHost(${JSON.stringify(raw.length > 40 ? raw.slice(0, 20) + '…' : raw)}) is null`)
  t.not(parseHost('a'.repeat(253)), null, 'a 253-character name is fine')
})

t.test('parseOrigin', async (t) => {
  const web: ReadonlyArray<readonly [string, 'http' | 'https', string]> = [
    ['https://dash.example.test', 'https', 'dash.example.test'],
    ['HTTPS://Dash.Example.Test', 'https', 'dash.example.test'],
    ['https://dash.example.test:443', 'https', 'dash.example.test'],
    ['http://dash.example.test:80', 'http', 'dash.example.test'],
    ['http://localhost:9119', 'http', 'localhost:9119'],
    ['http://127.0.0.1:9119', 'http', '127.0.0.1:9119'],
    ['http://[::1]:9119', 'http', '[::1]:9119'],
    [' https://dash.example.test ', 'https', 'dash.example.test'],
  ]
  for (const [raw, scheme, key] of web) {
    const o = parseOrigin(raw)
    t.equal(o.kind, 'web', `${raw} is web`)
    if (o.kind === 'web') {
      t.equal(o.scheme, scheme, `${raw}: scheme`)
      t.equal(o.host.key, key, `${raw}: host key`)
    }
  }
  const nonWeb: ReadonlyArray<readonly [string, string]> = [
    ['null', 'null'],
    [' null ', 'null'],
    ['file://', 'file'],
    ['file:///home/user/index.html', 'file'],
    ['app://hermes', 'app'],
    ['tauri://localhost', 'tauri'],
    ['chrome-extension://abcdef', 'chrome-extension'],
  ]
  for (const [raw, scheme] of nonWeb) {
    t.strictSame(parseOrigin(raw), { kind: 'non-web', scheme }, `${raw} is non-web ${scheme}`)
  }
  const invalid = ['', 'junk', 'dash.example.test', 'NULL', 'http://', 'https://', '//dash.example.test', `https://${'a'.repeat(2050)}.test`, 'http://exa mple.test']
  for (const raw of invalid) t.strictSame(parseOrigin(raw), { kind: 'invalid' }, `${JSON.stringify(raw.slice(0, 40))} is invalid`)
})

t.test('host allow-list', async (t) => {
  const list = compileHostAllowList(['Dash.Example.Test', 'other.test:8080', 'bad name!', 'trailing.dot.test.'])
  t.strictSame([...list.names].sort(), ['dash.example.test', 'other.test', 'trailing.dot.test'], 'names normalised, bad entries dropped')
  t.ok(Object.isFrozen(list.names), 'names frozen')

  const host = (raw: string): HostValue => {
    const v = parseHost(raw)
    if (v === null) throw new Error(`test input ${raw} does not parse`)
    return v
  }
  const cases: ReadonlyArray<readonly [string, boolean]> = [
    // IP literals and localhost are always allowed: they cannot be rebound
    ['127.0.0.1', true],
    ['10.1.2.3:9119', true],
    ['203.0.113.5', true],
    ['[::1]:9119', true],
    ['[2001:db8::1]', true],
    ['localhost', true],
    ['localhost:9119', true],
    ['LocalHost.', true],
    ['app.localhost', true],
    ['a.b.localhost:9119', true],
    // configured names, any port
    ['dash.example.test', true],
    ['DASH.example.test:8443', true],
    ['other.test', true],
    ['trailing.dot.test', true],
    // everything else
    ['evil.test', false],
    ['rebind.attacker.test', false],
    ['localhost.evil.test', false],
    ['notlocalhost', false],
    ['xlocalhost', false],
    ['dash.example.test.evil', false],
    ['sub.dash.example.test', false],
    ['example.test', false],
    ['127.1', false],
  ]
  for (const [raw, allowed] of cases) t.equal(list.allows(host(raw)), allowed, `${raw} ${allowed ? 'allowed' : 'refused'}`)

  const empty = compileHostAllowList([])
  t.strictSame(empty.names, [])
  t.equal(empty.allows(host('localhost')), true, 'empty list still allows localhost')
  t.equal(empty.allows(host('192.168.1.10')), true, 'empty list still allows IP literals')
  t.equal(empty.allows(host('dash.example.test')), false, 'empty list refuses names')
})

t.test('sameOrigin: scheme, host and port (issue 10 item 3)', async (t) => {
  const h = (raw: string): HostValue => {
    const v = parseHost(raw)
    if (v === null) throw new Error(raw)
    return v
  }
  const origin = (raw: string): { scheme: 'http' | 'https', host: HostValue } => {
    const o = parseOrigin(raw)
    if (o.kind !== 'web') throw new Error(raw)
    return o
  }
  const cases: ReadonlyArray<readonly [string, 'http' | 'https', string, boolean]> = [
    ['https://dash.example.test', 'https', 'dash.example.test', true],
    ['https://dash.example.test', 'https', 'dash.example.test:443', true],
    ['http://dash.example.test', 'http', 'dash.example.test:80', true],
    ['http://127.0.0.1:9119', 'http', '127.0.0.1:9119', true],
    // the plain-HTTP origin of an HTTPS dashboard is another origin
    ['http://dash.example.test', 'https', 'dash.example.test', false],
    ['https://dash.example.test', 'http', 'dash.example.test', false],
    ['http://dash.example.test:443', 'https', 'dash.example.test', false],
    ['https://dash.example.test:80', 'http', 'dash.example.test', false],
    ['http://127.0.0.1:9119', 'http', '127.0.0.1:9120', false],
    ['https://other.test', 'https', 'dash.example.test', false],
  ]
  for (const [o, scheme, host, want] of cases) t.equal(sameOrigin(origin(o), scheme, h(host)), want, `${o} vs ${scheme}://${host}`)
})
