// test/cli.test.ts
// The command line as a user runs it: start-up lines, modes chosen from the flags, exit code 2 with a
// message naming the flag, the value and what was expected, and a clean exit on SIGTERM.

import t from 'tap'
import { writeFileSync } from 'node:fs'
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

t.test('--insecure warns loudly; HERMES_DASHBOARD_INSECURE=1 too', async (t) => {
  const home = createFixtureHome()
  t.teardown(home.remove)
  const flag = await startCli(t, ['--port', '0', '--no-open', '--insecure', '--hermes-home', home.dir])
  t.match(flag.stderr(), /WARNING: --trust insecure/)
  t.match(flag.stdout(), /Trust mode: insecure/)
  const env = await startCli(t, ['--port', '0', '--no-open', '--hermes-home', home.dir], { HERMES_DASHBOARD_INSECURE: '1' })
  t.match(env.stdout(), /Trust mode: insecure/)
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
  writeFileSync(join(home.dir, 'config.yaml'), 'dashboard: [not, a, mapping]\n')
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
