// test/cli.test.ts
// The command line as a user runs it: start-up lines, modes chosen from the flags, exit code 2 with a
// message naming the flag, the value and what was expected, and a clean exit on SIGTERM.

import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { hostname, networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { createFixtureHome } from './helpers/home.js'
import { json, localPeer } from './helpers/peer.js'
import { HERMES_FIXTURE, runCli, startCli, TEST_TOKEN } from './helpers/server.js'

const peer = localPeer()

t.test('default start: loopback, READY line, URL, first request answered', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const cli = await startCli(t, ['--port', '0', '--no-open'], { HERMES_HOME: home.dir, HERMES_DASHBOARD_HERMES_COMMAND: HERMES_FIXTURE })
  t.match(cli.stdout(), new RegExp(`Hermes dashboard → http://127\\.0\\.0\\.1:${cli.port}/\\n`))
  t.match(cli.stdout(), /Trust mode: loopback/)
  t.match(cli.stdout(), new RegExp(`HERMES_DASHBOARD_READY port=${cli.port}`))
  const r = await peer.http({ url: `http://127.0.0.1:${cli.port}/api/status` })
  t.equal(r.status, 200)
  // The version probe runs in the background; it reaches status once `hermes version` answered.
  let version = ''
  for (let i = 0; i < 100 && version !== '0.13.0'; i++) {
    version = String(json(await peer.http({ url: `http://127.0.0.1:${cli.port}/api/status` })).version)
    if (version !== '0.13.0') await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal(version, '0.13.0', 'version from `hermes version`')
  t.equal(await cli.stop(), 0, 'SIGTERM: clean exit')
})

t.test('token mode prints the URL with the token once', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const cli = await startCli(t, ['--port', '0', '--no-open', '--trust', 'token', '--hermes-home', home.dir], { HERMES_DASHBOARD_SESSION_TOKEN: TEST_TOKEN })
  t.match(cli.stdout(), new RegExp(`\\?token=${TEST_TOKEN}\\n`))
  t.match(cli.stdout(), /Trust mode: token/)
})

t.test('a wildcard bind prints what people on the network open first, each with the token; this host last', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const cli = await startCli(t, ['--host', '0.0.0.0', '--port', '0', '--no-open', '--trust', 'token', '--hermes-home', home.dir, '--hermes-backend', 'off'], { HERMES_DASHBOARD_SESSION_TOKEN: TEST_TOKEN })
  const urls = [...cli.stdout().matchAll(/^ {2}(?:Hermes dashboard| {16}) → (\S+)/gm)].map((m) => m[1] as string)
  const local = `http://127.0.0.1:${cli.port}/?token=${TEST_TOKEN}`
  // A container's own name and addresses are not what anyone opens: inside one (this machine may
  // be one: its marker file decides, as in the dashboard) only this host's URL is printed.
  if (existsSync('/.dockerenv') || existsSync('/run/.containerenv')) {
    t.strictSame(urls, [local], 'in a container: only the local URL, with ?token=')
    t.match(cli.stdout(), /\n {2}\(in a container: open the host port this one is published on\)\n/, '... and what to open instead')
  } else {
    const lan = Object.values(networkInterfaces()).flatMap((l) => l ?? []).filter((i) => !i.internal && i.family === 'IPv4').map((i) => i.address)
    const expected = [hostname().toLowerCase(), ...new Set(lan), '127.0.0.1'].map((h) => `http://${h}:${cli.port}/?token=${TEST_TOKEN}`)
    t.strictSame(urls, expected, 'the host name, each non-loopback IPv4 address, then 127.0.0.1, each with ?token=')
    t.match(cli.stdout(), /→ http:\/\/127\.0\.0\.1:\d+\/\?token=\S+ {2}\(this host\)\n/, 'this host\'s URL is marked')
  }
  // Every non-loopback address it listens on answers and accepts its address as Host: the token goes into the cookie.
  const lanNow = Object.values(networkInterfaces()).flatMap((l) => l ?? []).filter((i) => !i.internal && i.family === 'IPv4').map((i) => i.address)
  for (const url of [local, ...lanNow.map((a) => `http://${a}:${cli.port}/?token=${TEST_TOKEN}`)]) {
    const r = await peer.http({ url })
    t.equal(r.status, 303, `${url}: the token is taken (303 to the page)`)
  }
  const named = await peer.http({ url: `http://127.0.0.1:${cli.port}/api/status`, headers: { Host: `${hostname().toLowerCase()}:${cli.port}` } })
  t.equal(named.status, 200, 'the host name is an allowed Host on a wildcard bind')

  const loopback = await startCli(t, ['--host', '0.0.0.0', '--port', '0', '--no-open', '--trust', 'loopback', '--hermes-home', home.dir, '--hermes-backend', 'off'])
  t.match(loopback.stdout(), new RegExp(`^ {2}Hermes dashboard → http://127\\.0\\.0\\.1:${loopback.port}/\n`, 'm'), 'loopback mode admits only this host: only its URL is printed')
  t.equal([...loopback.stdout().matchAll(/ → http/g)].length, 1, '... one URL')
})

t.test('start-up notes: a missing HERMES_HOME, and Hermes\' own variables this server ignores', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const missing = join(home.dir, 'not-made-yet')
  const cli = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', missing, '--hermes-backend', 'off'], {
    HERMES_DASHBOARD_BASIC_AUTH_USERNAME: 'admin',
    HERMES_DASHBOARD_BASIC_AUTH_PASSWORD: 'secret-password-value',
    HERMES_DASHBOARD_OAUTH_CLIENT_ID: 'client',
    HERMES_DASHBOARD_WS_HOST: '',
    HERMES_DASHBOARD_HOST: '127.0.0.1',
  })
  await new Promise((resolve) => setImmediate(resolve))
  const err = cli.stderr()
  t.match(err, new RegExp(`note: Hermes home ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} does not exist \\(yet\\)`), 'the missing home is named')
  t.match(err, /note: ignored HERMES_DASHBOARD_BASIC_AUTH_PASSWORD: Hermes' password login/, 'the password variable is named as ignored')
  t.match(err, /note: ignored HERMES_DASHBOARD_BASIC_AUTH_USERNAME/, '... and the user name')
  t.match(err, /note: ignored HERMES_DASHBOARD_OAUTH_CLIENT_ID: Hermes' OAuth login/, 'OAuth')
  t.notMatch(err, /secret-password-value/, 'never the value')
  t.notMatch(err, /WS_HOST|ignored HERMES_DASHBOARD_HOST/, 'an empty variable and an honoured one are not named')

  const quiet = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir, '--hermes-backend', 'off'])
  t.notMatch(quiet.stderr(), /note:/, 'an existing home and no foreign variables: no notes')
})

t.test('--log-format: JSON lines when piped (auto), pino-pretty lines when asked', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const args = ['--port', '0', '--no-open', '--hermes-home', home.dir, '--hermes-backend', 'off']
  const auto = await startCli(t, args)
  t.equal(await auto.stop(), 0)
  const autoLines = auto.stdout().split('\n').filter((l) => l.startsWith('{'))
  t.ok(autoLines.length >= 2, 'auto on a pipe: JSON lines')
  t.ok(autoLines.every((l) => typeof JSON.parse(l).level === 'number'), '... each one JSON object with a level')
  t.match(auto.stdout(), /"msg":"shutting down"/, '... including the shutdown line')

  const pretty = await startCli(t, [...args, '--log-format', 'pretty'])
  t.equal(await pretty.stop(), 0)
  t.notMatch(pretty.stdout(), /^\{"level"/m, 'pretty: no JSON lines')
  t.match(pretty.stdout(), /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: shutting down$/m, 'pretty: time, level and message on one line, as pino-pretty prints them')

  const env = await startCli(t, args, { HERMES_DASHBOARD_LOG_FORMAT: 'json' })
  t.equal(await env.stop(), 0)
  t.match(env.stdout(), /^\{"level":30,.*"msg":"shutting down"/m, 'HERMES_DASHBOARD_LOG_FORMAT=json')

  const bad = await runCli(['--log-format', 'fancy'])
  t.equal(bad.code, 2, 'an unknown format: exit 2')
  t.match(bad.stderr, /--log-format.*fancy.*expected one of auto, pretty, json/, '... naming the flag, the value and the choices')
})

t.test('--insecure warns loudly; HERMES_DASHBOARD_INSECURE=1 too', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const flag = await startCli(t, ['--port', '0', '--no-open', '--insecure', '--hermes-home', home.dir])
  t.match(flag.stderr(), /WARNING: --trust insecure/)
  t.match(flag.stdout(), /Trust mode: insecure/)
  t.notMatch(flag.stderr(), /HERMES_DASHBOARD_INSECURE is honoured/, 'the flag: no note about the variable')
  const env = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir], { HERMES_DASHBOARD_INSECURE: '1' })
  t.match(env.stdout(), /Trust mode: insecure/)
  t.match(env.stderr(), /note: HERMES_DASHBOARD_INSECURE is honoured here \(Hermes' own server ignores it/, 'the variable: a note that Hermes ignores it and this server does not')
})

t.test('config.yaml dashboard: section is read (and ranks below the command line)', async (t) => {
  const home = createFixtureHome({ configYaml: 'model: x\ndashboard:\n  theme: default\n  trust: token\n  allowed_hosts: [hermes.lan]\n' })
  t.teardown(home.remove)
  const cli = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir])
  t.match(cli.stdout(), /Trust mode: token/, 'from the file; Hermes\' own keys (theme) are left alone')
  const over = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir, '--trust', 'loopback'])
  t.match(over.stdout(), /Trust mode: loopback/, 'the command line wins')
  const r = await peer.http({ url: `http://127.0.0.1:${over.port}/api/status`, headers: { Host: 'hermes.lan' } })
  t.equal(r.status, 200, 'allowed_hosts from the file')
})

t.test('bad values exit 2 naming the flag, the value and what was expected', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const cases: Array<[string[], Record<string, string>, RegExp[]]> = [
    [['--trusted-proxies', '10.0.0.300/8'], {}, [/--trusted-proxies/, /10\.0\.0\.300\/8/, /not an IP address, a CIDR range or one of loopback, private, linklocal/]],
    [['--port', 'abc'], {}, [/--port: got "abc"/, /expected a port number from 0 to 65535/]],
    [['--trust', 'open'], {}, [/--trust: got "open"/, /expected one of loopback, proxy, token, insecure/]],
    [[], { HERMES_DASHBOARD_INSECURE: 'ture' }, [/HERMES_DASHBOARD_INSECURE: got "ture"/, /expected 1, true, yes, on, 0, false, no or off/]],
    [['--bogus'], {}, [/Unknown option '--bogus'/]],
    [['--public-url', 'ftp://x'], {}, [/--public-url: got "ftp:\/\/x"/, /expected an http\(s\) URL/]],
    [['--auth-header', 'Remote-User'], {}, [/--auth-header/, /only read in proxy mode/]],
    [['--insecure', '--trust', 'loopback'], {}, [/conflicts with --trust/]],
    [['--port', '99999', '--forwarded', 'x-real-ip'], {}, [/--port: got "99999"/, /--forwarded: got "x-real-ip"/]],
  ]
  for (const [args, env, patterns] of cases) {
    const r = await runCli([...args, '--hermes-home', home.dir, '--no-open'], env)
    t.equal(r.code, 2, `exit 2 for ${args.join(' ') || JSON.stringify(env)}`)
    for (const p of patterns) t.match(r.stderr, p)
    t.notMatch(r.stdout, /HERMES_DASHBOARD_READY/, 'never started')
  }
  const secret = await runCli(['--token', 'short', '--hermes-home', home.dir])
  t.equal(secret.code, 2)
  t.match(secret.stderr, /--token: got "<hidden>"/, 'a bad token is not echoed')
  t.notMatch(secret.stderr, /short/)

  writeFileSync(join(home.dir, 'config.yaml'), 'dashboard:\n  trusted_proxies: [10.0.0.0/33]\n')
  const yaml = await runCli(['--hermes-home', home.dir])
  t.equal(yaml.code, 2)
  t.match(yaml.stderr, /--trusted-proxies \(from config\.yaml dashboard\.trusted_proxies\)/, 'the file and key are named')
  writeFileSync(join(home.dir, 'config.yaml'), 'dashboard: [port: 1, not, a, mapping]\n')
  const shape = await runCli(['--hermes-home', home.dir])
  t.equal(shape.code, 2)
  t.match(shape.stderr, /"dashboard" must be a mapping/)
})

t.test('--help, --version, and a port in use', async (t) => {
  const help = await runCli(['--help'])
  t.equal(help.code, 0)
  for (const flag of ['--host', '--port', '--trust', '--insecure', '--trusted-proxies', '--forwarded', '--public-url', '--allowed-hosts', '--token', '--auth-header', '--groups-header', '--groups-separator', '--group-profiles', '--hermes-home', '--web-dist', '--hermes-command', '--chat-command', '--gateway-command', '--no-open', '--log-level']) {
    t.match(help.stdout, flag)
  }
  const version = await runCli(['--version'])
  t.match(version.stdout, /^hermes-dashboard \d+\.\d+\.\d+/)

  const home = createFixtureHome()
  t.teardown(home.remove)
  const first = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir])
  const second = await runCli(['--port', String(first.port), '--no-open', '--hermes-home', home.dir])
  t.equal(second.code, 1)
  t.match(second.stderr, new RegExp(`port ${first.port} on 127\\.0\\.0\\.1 is in use \\(try --port 0`))
})
