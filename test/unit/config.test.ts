// test/unit/config.test.ts
// loadConfig({ argv, env }) over a temporary HERMES_HOME: defaults, source precedence, validation
// messages that name the flag, the value and what was expected, trust-mode defaults, freezing, and
// that the token never appears in an error.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig, type Config } from '../../src/config/load.js'
import { joinOptionValues } from '../../src/config/sources.js'

const TOKEN = 'Cf9-secret-token-Vx42kPq7Rt'

interface Home {
  readonly dir: string
  load (argv?: readonly string[], env?: Record<string, string>): Config
  /** The ConfigError thrown (fails the test when none is). */
  fail (argv?: readonly string[], env?: Record<string, string>): ConfigError
}

/** The part of a tap test home() uses. */
interface TestLike { teardown (fn: () => unknown): void, fail (message: string): unknown }

function home (t: TestLike, yaml: string | null = null): Home {
  const dir = mkdtempSync(join(tmpdir(), 'hd-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  if (yaml !== null) writeFileSync(join(dir, 'config.yaml'), yaml)
  const load = (argv: readonly string[] = [], env: Record<string, string> = {}): Config => loadConfig({ argv, env: { HERMES_HOME: dir, ...env } })
  return {
    dir,
    load,
    fail (argv = [], env = {}) {
      try {
        load(argv, env)
      } catch (err) {
        if (err instanceof ConfigError) return err
        throw err
      }
      t.fail(`expected a ConfigError for ${JSON.stringify(argv)} ${JSON.stringify(env)}`)
      return new ConfigError([])
    },
  }
}

t.test('defaults', async (t) => {
  const h = home(t, '_config_version: 17\nmodel: test-model\n')
  const c = h.load()
  t.equal(c.host, '127.0.0.1')
  t.equal(c.port, 9119)
  t.equal(c.trust, 'loopback')
  t.strictSame(c.trustedProxies, [])
  t.equal(c.forwarded, 'x-forwarded-for')
  t.equal(c.publicUrl, null)
  t.equal(c.publicBasePath, '')
  t.strictSame(c.allowedHosts, [])
  t.equal(c.tokenGenerated, true)
  t.match(c.token, /^[A-Za-z0-9_-]{43}$/, 'a generated token')
  t.not(h.load().token, c.token, 'a new token each time')
  t.equal(c.authHeader, null)
  t.equal(c.groupsHeader, null)
  t.equal(c.groupsSeparator, ',|')
  t.equal(c.groupProfiles, null)
  t.equal(c.hermesHome, h.dir)
  t.equal(c.webDist, null)
  t.strictSame(c.hermesCommand, ['hermes'])
  t.strictSame(c.chatCommand, ['hermes', '--tui'])
  t.strictSame(c.gatewayCommand, ['python3', '-m', 'tui_gateway.entry'])
  t.equal(c.open, true)
  t.equal(c.logLevel, 'info')
  t.equal(home(t).load().port, 9119, 'no config.yaml at all')
})

t.test('source precedence: argv > env > config.yaml > defaults', async (t) => {
  const h = home(t, [
    'model: test-model',
    'dashboard:',
    '  port: 1111',
    '  log_level: warn',
    '  allowed_hosts: [yaml.example.test]',
    '  chat_command: yaml-chat',
    '  no_open: true',
    '',
  ].join('\n'))
  const cases: ReadonlyArray<{ name: string, argv: string[], env: Record<string, string>, port: number, logLevel: string, hosts: string[], chat: string[] }> = [
    { name: 'config.yaml only', argv: [], env: {}, port: 1111, logLevel: 'warn', hosts: ['yaml.example.test'], chat: ['yaml-chat'] },
    { name: 'env over config.yaml', argv: [], env: { HERMES_DASHBOARD_PORT: '2222', HERMES_DASHBOARD_ALLOWED_HOSTS: 'env.example.test, env2.example.test' }, port: 2222, logLevel: 'warn', hosts: ['env.example.test', 'env2.example.test'], chat: ['yaml-chat'] },
    { name: 'argv over env', argv: ['--port', '3333', '--log-level', 'debug', '--allowed-hosts', 'argv.example.test', '--chat-command', 'argv-chat -x'], env: { HERMES_DASHBOARD_PORT: '2222', HERMES_DASHBOARD_LOG_LEVEL: 'error' }, port: 3333, logLevel: 'debug', hosts: ['argv.example.test'], chat: ['argv-chat', '-x'] },
    { name: 'env log level over yaml, argv port', argv: ['--port=4444'], env: { HERMES_DASHBOARD_LOG_LEVEL: 'error' }, port: 4444, logLevel: 'error', hosts: ['yaml.example.test'], chat: ['yaml-chat'] },
    { name: 'empty env value does not override', argv: [], env: { HERMES_DASHBOARD_PORT: '' }, port: 1111, logLevel: 'warn', hosts: ['yaml.example.test'], chat: ['yaml-chat'] },
  ]
  for (const c of cases) {
    const cfg = h.load(c.argv, c.env)
    t.equal(cfg.port, c.port, `${c.name}: port`)
    t.equal(cfg.logLevel, c.logLevel, `${c.name}: log level`)
    t.strictSame(cfg.allowedHosts, c.hosts, `${c.name}: allowed hosts`)
    t.strictSame(cfg.chatCommand, c.chat, `${c.name}: chat command`)
    t.equal(cfg.open, false, `${c.name}: no_open from config.yaml`)
  }
  t.equal(h.load(['--allowed-hosts', 'a.test', '--allowed-hosts', 'b.test,c.test']).allowedHosts.length, 3, 'repeated list flags add up')
  t.equal(h.load([], { HERMES_DASHBOARD_NO_OPEN: '0' }).open, true, 'an env boolean overrides config.yaml')
})

t.test('config.yaml: the dashboard section', async (t) => {
  const h = home(t, [
    'dashboard:',
    '  host: 0.0.0.0',
    '  trusted_proxies:',
    '    - 10.0.0.0/8',
    '    - loopback',
    '  auth_header: Remote-User',
    '  groups_header: Remote-Groups',
    '  group_profiles:',
    "    admins: '*'",
    '    family: [alice, bob]',
    '  public_url: https://Hermes.Example.test/hermes/',
    '  insecure: false',
    '  token: from-yaml-never-read-0123456789',
    '',
  ].join('\n'))
  const c = h.load()
  t.equal(c.host, '0.0.0.0')
  t.strictSame(c.trustedProxies, ['10.0.0.0/8', 'loopback'])
  t.equal(c.trust, 'proxy')
  t.equal(c.authHeader, 'remote-user', 'header names lower-cased')
  t.equal(c.groupsHeader, 'remote-groups')
  t.strictSame(c.groupProfiles === null ? null : [...c.groupProfiles.entries()], [['admins', ['*']], ['family', ['alice', 'bob']]])
  t.equal(c.publicUrl, 'https://hermes.example.test/hermes')
  t.equal(c.publicBasePath, '/hermes')
  t.equal(c.tokenGenerated, true, 'config.yaml may not set the token')
  t.not(c.token, 'from-yaml-never-read-0123456789')

  const moved = home(t, 'dashboard:\n  port: 5555\n')
  t.equal(h.load(['--hermes-home', moved.dir]).port, 5555, '--hermes-home chooses which config.yaml is read')
  t.equal(h.load(['--hermes-home', moved.dir]).hermesHome, moved.dir)

  const broken = home(t, 'dashboard: [port: 1, 2\n')
  t.match(broken.fail().problems[0] ?? '', /config\.yaml: not valid YAML/, 'invalid YAML')
  const notMapping = home(t, 'dashboard: "port: 7"\n')
  t.match(notMapping.fail().problems[0] ?? '', /"dashboard" must be a mapping/)
  const badList = home(t, 'dashboard:\n  trusted_proxies: {a: 1}\n')
  t.match(badList.fail().problems[0] ?? '', /dashboard\.trusted_proxies: got .*expected a list/)
})

t.test('config.yaml: our keys are read however YAML writes them; a section of Hermes\' own keys is not parsed', async (t) => {
  const written: ReadonlyArray<[string, string]> = [
    ['block', 'dashboard:\n  theme: dark\n  port: 4321\n'],
    ['flow, JSON-quoted', 'dashboard: {"theme": "dark", "port": 4321}\n'],
    ['flow, single-quoted, space before the colon', "dashboard: {'port' : 4321}\n"],
    ['explicit key with a comment', 'dashboard:\n  ? port # the dashboard\'s\n  : 4321\n'],
    ['a key spelt with escapes', 'dashboard:\n  "p\\x6frt": 4321\n'],
    ['after a long Hermes config', `${Array.from({ length: 200 }, (_, i) => `section${i}:\n  default: m\n`).join('')}dashboard:\n  theme: dark\n  port: 4321\n`],
  ]
  for (const [name, yaml] of written) t.equal(home(t, yaml).load().port, 4321, name)
  // Hermes' own section, and a YAML error elsewhere in Hermes' file: nothing of ours to read, so
  // the file is not parsed and the error is Hermes' business (it was a start-up failure here).
  const hermesOwn = 'model:\n  default: m\n  providers: [unclosed\ndashboard:\n  theme: dark\n  transport_hint: x\n'
  t.equal(home(t, hermesOwn).load().port, 9119, 'Hermes\' keys only: the defaults, no parse error')
  t.match(home(t, `${hermesOwn}  port: 4321\n`).fail().message, /not valid YAML/, 'with a key of ours in it, the same file is parsed, and its error reported')
})

t.test('each bad value names the flag, the value and what was expected', async (t) => {
  const h = home(t)
  const P = ['--trusted-proxies', '10.0.0.1']
  const cases: ReadonlyArray<{ name: string, argv?: string[], env?: Record<string, string>, parts: Array<string | RegExp> }> = [
    { name: 'bad CIDR in --trusted-proxies', argv: ['--trusted-proxies', '10.0.0.1,10.0.0.0/33'], parts: ['--trusted-proxies', '10.0.0.0/33', /CIDR range/] },
    { name: 'bad name in HERMES_DASHBOARD_TRUSTED_PROXIES', env: { HERMES_DASHBOARD_TRUSTED_PROXIES: 'lan' }, parts: ['--trusted-proxies', 'HERMES_DASHBOARD_TRUSTED_PROXIES', '"lan"', /loopback, private, linklocal/] },
    { name: '--port 70000', argv: ['--port', '70000'], parts: ['--port', '70000', /expected a port number from 0 to 65535/] },
    { name: '--port abc', argv: ['--port', 'abc'], parts: ['--port', 'abc', /expected a port/] },
    { name: 'HERMES_DASHBOARD_PORT=-1', env: { HERMES_DASHBOARD_PORT: '-1' }, parts: ['--port', 'HERMES_DASHBOARD_PORT', '-1', /expected a port/] },
    { name: '--trust bogus', argv: ['--trust', 'bogus'], parts: ['--trust', 'bogus', /expected one of loopback, proxy, token, insecure/] },
    { name: 'HERMES_DASHBOARD_INSECURE=ture', env: { HERMES_DASHBOARD_INSECURE: 'ture' }, parts: ['HERMES_DASHBOARD_INSECURE', 'ture', /expected 1, true, yes, on, 0, false, no or off/] },
    { name: '--forwarded x', argv: ['--forwarded', 'x'], parts: ['--forwarded', '"x"', /expected x-forwarded-for or forwarded/] },
    { name: '--public-url ftp://x', argv: ['--public-url', 'ftp://x'], parts: ['--public-url', 'ftp://x', /expected an http\(s\) URL/] },
    { name: '--public-url not a URL', argv: ['--public-url', 'hermes.example.test'], parts: ['--public-url', 'hermes.example.test', /expected an http\(s\) URL/] },
    { name: '--public-url with a query', argv: ['--public-url', 'https://h.example.test/a?b=1'], parts: ['--public-url', 'https://h.example.test/a?b=1', /plain path/] },
    { name: "--allowed-hosts '*'", argv: ['--allowed-hosts', '*'], parts: ['--allowed-hosts', '"*"', /refused/, /DNS rebinding/] },
    { name: '--allowed-hosts bad name', argv: ['--allowed-hosts', 'ok.test,bad name'], parts: ['--allowed-hosts', 'bad name', /is not a host name/] },
    { name: 'short --token', argv: ['--token', 'short-secret'], parts: ['--token', '<hidden>', /expected 16 to 512 printable characters/] },
    { name: 'short HERMES_DASHBOARD_SESSION_TOKEN', env: { HERMES_DASHBOARD_SESSION_TOKEN: 'short-secret' }, parts: ['--token', 'HERMES_DASHBOARD_SESSION_TOKEN', '<hidden>', /expected 16 to 512/] },
    { name: '--auth-header Remote_User', argv: [...P, '--auth-header', 'Remote_User'], parts: ['--auth-header', 'Remote_User', /underscores and dots are refused/] },
    { name: '--auth-header Remote.User', argv: [...P, '--auth-header', 'Remote.User'], parts: ['--auth-header', 'Remote.User', /letters, digits and dashes/] },
    { name: '--auth-header Authorization', argv: [...P, '--auth-header', 'Authorization'], parts: ['--auth-header', 'Authorization', /not a standard or credential header/] },
    { name: '--auth-header without proxy mode', argv: ['--auth-header', 'Remote-User'], parts: ['--auth-header', 'Remote-User', /only read in proxy mode/, /loopback/] },
    { name: '--auth-header in token mode', argv: ['--host', '0.0.0.0', '--auth-header', 'Remote-User'], parts: ['--auth-header', /proxy mode/, /mode is token/] },
    { name: '--groups-header without --auth-header', argv: [...P, '--groups-header', 'Remote-Groups'], parts: ['--groups-header', 'Remote-Groups', /needs --auth-header/] },
    { name: '--groups-header equal to --auth-header', argv: [...P, '--auth-header', 'Remote-User', '--groups-header', 'remote-user'], parts: ['--groups-header', /must differ from --auth-header/] },
    { name: '--group-profiles bad entry', argv: [...P, '--auth-header', 'Remote-User', '--groups-header', 'Remote-Groups', '--group-profiles', 'admins=*,family'], parts: ['--group-profiles', 'admins=*,family', /"family" is not group=profile/] },
    { name: '--group-profiles bad profile', argv: [...P, '--auth-header', 'Remote-User', '--groups-header', 'Remote-Groups', '--group-profiles', 'family=Alice'], parts: ['--group-profiles', /"Alice" is not a profile name/] },
    { name: '--group-profiles without --groups-header', argv: [...P, '--auth-header', 'Remote-User', '--group-profiles', 'admins=*'], parts: ['--group-profiles', /needs --groups-header/] },
    { name: '--groups-separator x', argv: ['--groups-separator', 'x'], parts: ['--groups-separator', '"x"', /expected one to four of/] },
    { name: '--chat-command unbalanced', argv: ['--chat-command', 'hermes "--tui'], parts: ['--chat-command', 'hermes \\"--tui', /balanced quotes/] },
    { name: '--log-level loud', argv: ['--log-level', 'loud'], parts: ['--log-level', 'loud', /expected one of fatal, error/] },
    { name: '--host bad', argv: ['--host', 'bad host'], parts: ['--host', 'bad host', /expected an IP address or host name/] },
    { name: '--trust proxy without --trusted-proxies', argv: ['--trust', 'proxy'], parts: ['--trust', 'proxy', /needs --trusted-proxies/] },
    { name: 'unknown flag', argv: ['--bogus'], parts: ['command line', '--bogus'] },
  ]
  for (const c of cases) {
    const err = h.fail(c.argv ?? [], c.env ?? {})
    t.equal(err.code, 'HD_ERR_CONFIG_INVALID', `${c.name}: code`)
    t.equal(err.problems.length, 1, `${c.name}: one problem`)
    const problem = err.problems[0] ?? ''
    for (const part of c.parts) {
      if (typeof part === 'string') t.ok(problem.includes(part), `${c.name}: mentions ${part}`)
      else t.match(problem, part, `${c.name}: matches ${String(part)}`)
    }
    t.ok(err.message.includes(problem), `${c.name}: message lists the problem`)
  }
})

t.test('all problems are reported at once', async (t) => {
  const h = home(t)
  const err = h.fail(['--port', '70000', '--trust', 'bogus', '--forwarded', 'x', '--public-url', 'ftp://x', '--allowed-hosts', '*', '--trusted-proxies', '10.0.0.0/33'])
  t.equal(err.problems.length, 6, 'six problems')
  for (const flag of ['--port', '--trust', '--forwarded', '--public-url', '--allowed-hosts', '--trusted-proxies']) {
    t.ok(err.problems.some((p) => p.startsWith(flag)), `${flag} reported`)
    t.ok(err.message.includes(flag), `${flag} in the message`)
  }
  const cross = h.fail(['--insecure', '--trust', 'loopback', '--auth-header', 'Remote-User', '--groups-header', 'Remote-Groups', '--group-profiles', 'a=b'])
  t.ok(cross.problems.length >= 2, 'cross-field problems reported together')
  t.ok(cross.problems.some((p) => p.includes('--insecure')), 'conflict reported')
  t.ok(cross.problems.some((p) => p.startsWith('--auth-header')), '--auth-header reported')
})

t.test('a bad environment boolean does not hide other problems', async (t) => {
  const h = home(t)
  const err = h.fail(['--port', '70000'], { HERMES_DASHBOARD_INSECURE: 'ture' })
  t.ok(err.problems.some((p) => p.includes('HERMES_DASHBOARD_INSECURE')), 'the boolean is reported')
  t.ok(err.problems.some((p) => p.includes('--port')), 'the port is reported too')
})

t.test('trust mode defaults', async (t) => {
  const h = home(t)
  const cases: ReadonlyArray<readonly [string, string[], Record<string, string>, string]> = [
    ['nothing', [], {}, 'loopback'],
    ['--host 127.0.0.2', ['--host', '127.0.0.2'], {}, 'loopback'],
    ['--host localhost', ['--host', 'localhost'], {}, 'loopback'],
    ['--host ::1', ['--host', '::1'], {}, 'loopback'],
    ['--host [::1]', ['--host', '[::1]'], {}, 'loopback'],
    ['--trusted-proxies', ['--trusted-proxies', '10.0.0.1'], {}, 'proxy'],
    ['--trusted-proxies with --host 0.0.0.0', ['--host', '0.0.0.0', '--trusted-proxies', 'private'], {}, 'proxy'],
    ['--host 0.0.0.0', ['--host', '0.0.0.0'], {}, 'token'],
    ['--host ::', ['--host', '::'], {}, 'token'],
    ['--host 192.168.1.10', ['--host', '192.168.1.10'], {}, 'token'],
    ['--host dash.example.test', ['--host', 'dash.example.test'], {}, 'token'],
    ['--insecure', ['--insecure'], {}, 'insecure'],
    ['--insecure with --host 0.0.0.0', ['--insecure', '--host', '0.0.0.0'], {}, 'insecure'],
    ['--insecure with --trusted-proxies', ['--insecure', '--trusted-proxies', '10.0.0.1'], {}, 'insecure'],
    ['HERMES_DASHBOARD_INSECURE=1', [], { HERMES_DASHBOARD_INSECURE: '1' }, 'insecure'],
    ['HERMES_DASHBOARD_INSECURE=yes', [], { HERMES_DASHBOARD_INSECURE: 'yes' }, 'insecure'],
    ['HERMES_DASHBOARD_INSECURE=0', [], { HERMES_DASHBOARD_INSECURE: '0' }, 'loopback'],
    ['--insecure --trust insecure', ['--insecure', '--trust', 'insecure'], {}, 'insecure'],
    ['--trust loopback --trusted-proxies loopback', ['--trust', 'loopback', '--trusted-proxies', 'loopback'], {}, 'loopback'],
    ['--trust token on loopback', ['--trust', 'token'], {}, 'token'],
    ['HERMES_DASHBOARD_TRUST=token', [], { HERMES_DASHBOARD_TRUST: 'token' }, 'token'],
  ]
  for (const [name, argv, env, mode] of cases) t.equal(h.load(argv, env).trust, mode, name)
  t.equal(h.load(['--host', '[::1]']).host, '::1', 'brackets dropped from --host')

  for (const [argv, env] of [[['--insecure', '--trust', 'loopback'], {}], [['--trust', 'token'], { HERMES_DASHBOARD_INSECURE: 'true' }]] as const) {
    const err = h.fail(argv, env)
    t.ok(err.problems.some((p) => /--insecure/.test(p) && /conflicts with --trust/.test(p)), `${argv.join(' ')} ${JSON.stringify(env)}: conflict named`)
  }
})

t.test('token: from the environment, redacted in every error', async (t) => {
  const h = home(t)
  const c = h.load([], { HERMES_DASHBOARD_SESSION_TOKEN: TOKEN })
  t.equal(c.token, TOKEN)
  t.equal(c.tokenGenerated, false)
  t.equal(h.load(['--token', 'argv-token-0123456789abc'], { HERMES_DASHBOARD_SESSION_TOKEN: TOKEN }).token, 'argv-token-0123456789abc', '--token over the environment')

  const leaks: ReadonlyArray<readonly [string, string[], Record<string, string>, string]> = [
    ['too short via argv', ['--token', 'tinySecret1'], {}, 'tinySecret1'],
    ['too short via env', [], { HERMES_DASHBOARD_SESSION_TOKEN: 'tinySecret2' }, 'tinySecret2'],
    ['with a space', ['--token', 'a secret with spaces 0123'], {}, 'a secret with spaces 0123'],
    ['valid token, another problem', ['--token', TOKEN, '--port', '70000'], {}, TOKEN],
    ['valid env token, cross-field problem', ['--auth-header', 'Remote-User'], { HERMES_DASHBOARD_SESSION_TOKEN: TOKEN }, TOKEN],
    ['too long', ['--token', 'L'.repeat(600)], {}, 'L'.repeat(600)],
  ]
  for (const [name, argv, env, secret] of leaks) {
    const err = h.fail(argv, env)
    t.notOk(err.message.includes(secret), `${name}: not in the message`)
    t.notOk(err.problems.some((p) => p.includes(secret)), `${name}: not in a problem`)
    t.notOk(JSON.stringify(err.toJSON()).includes(secret), `${name}: not in the JSON body`)
  }
})

t.test('the result is frozen', async (t) => {
  const h = home(t)
  const c = h.load(['--trusted-proxies', '10.0.0.1', '--allowed-hosts', 'a.test', '--chat-command', 'chat --x'])
  t.ok(Object.isFrozen(c), 'config')
  t.ok(Object.isFrozen(c.trustedProxies), 'trustedProxies')
  t.ok(Object.isFrozen(c.allowedHosts), 'allowedHosts')
  t.ok(Object.isFrozen(c.chatCommand), 'chatCommand')
  t.ok(Object.isFrozen(c.hermesCommand), 'hermesCommand')
  t.ok(Object.isFrozen(c.gatewayCommand), 'gatewayCommand')
  t.throws(() => { (c as { port: number }).port = 1 }, TypeError, 'assignment throws in strict mode')
  t.equal(c.port, 9119)
})

t.test('value conversions', async (t) => {
  const h = home(t)
  t.equal(h.load(['--port', '0']).port, 0, '--port 0 picks a free port')
  t.equal(h.load(['--port', '65535']).port, 65535)
  t.equal(h.load(['--public-url', 'https://h.example.test']).publicBasePath, '', 'no path')
  t.equal(h.load(['--public-url', 'http://h.example.test:8080/a/b/']).publicUrl, 'http://h.example.test:8080/a/b')
  t.strictSame(h.load(['--hermes-command', `node "/opt/my hermes/cli.js" --flag='x y'`]).hermesCommand, ['node', '/opt/my hermes/cli.js', '--flag=x y'])
  t.equal(h.load(['--groups-separator', ';']).groupsSeparator, ';')
  t.equal(h.load(['--no-open']).open, false)
  t.equal(h.load(['--web-dist', 'relative/dist']).webDist?.endsWith('/relative/dist'), true, '--web-dist resolved')
})

t.test('an option value may start with a dash (generated tokens do)', async (t) => {
  const h = home(t)
  const token = '-Xk3_dash-first-token-0123456789'
  t.equal(h.load(['--token', token]).token, token, '--token -X… takes the next word as its value')
  t.equal(h.load([`--token=${token}`]).token, token, '--token=-X… too')
  t.equal(h.load(['--chat-command', '-weird-program --flag']).chatCommand[0], '-weird-program', 'any value-taking option')
  t.equal(h.load(['--insecure', '--trust', 'insecure']).trust, 'insecure', 'booleans take no value')
  t.match(h.fail(['--port']).message, /--port/, 'a value-taking option at the end is still an error')
  t.same(joinOptionValues(['--a', '-1', '--', '--a', 'x'], new Set(['a'])), ['--a=-1', '--', '--a', 'x'], 'nothing after --')
})
