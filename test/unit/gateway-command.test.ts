// test/unit/gateway-command.test.ts
// Which interpreter runs the default /api/ws gateway: the one Hermes' own script names.

import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_GATEWAY_COMMAND, gatewayCommandFor, pythonOfScript, readScriptHead } from '../../src/hermes/gateway-command.js'

t.test('the Python a script names', async (t) => {
  const cases: ReadonlyArray<[string, string, string | null]> = [
    ['a venv console script', '#!/home/u/.hermes/venv/bin/python3\nimport sys\n', '/home/u/.hermes/venv/bin/python3'],
    ['pipx, a versioned name', '#!/home/u/.local/pipx/venvs/hermes-agent/bin/python3.11\n', '/home/u/.local/pipx/venvs/hermes-agent/bin/python3.11'],
    ['pip\'s form for a long path', '#!/bin/sh\n\'\'\'exec\' "/very/long/venv/bin/python" "$0" "$@"\n\' \'\'\'\n', '/very/long/venv/bin/python'],
    ['env python3: PATH decides', '#!/usr/bin/env python3\n', null],
    ['a shell script', '#!/bin/sh\nexec node entry.js\n', null],
    ['a binary', '\x7fELF\x02\x01', null],
    ['a python-looking path that is not one', '#!/opt/python3-tools/run\n', null],
  ]
  for (const [what, head, want] of cases) t.equal(pythonOfScript(head), want, what)
})

t.test('only the default command moves to that interpreter', async (t) => {
  const venv = '#!/srv/hermes/bin/python3\n'
  t.strictSame(gatewayCommandFor(DEFAULT_GATEWAY_COMMAND, venv), ['/srv/hermes/bin/python3', '-m', 'tui_gateway.entry'], 'the default, on Hermes\' Python')
  t.strictSame(gatewayCommandFor(['python3', '-m', 'tui_gateway.entry'], '#!/usr/bin/env python3\n'), DEFAULT_GATEWAY_COMMAND, 'no interpreter named: as it was')
  t.strictSame(gatewayCommandFor(DEFAULT_GATEWAY_COMMAND, null), DEFAULT_GATEWAY_COMMAND, 'no hermes script: as it was')
  t.strictSame(gatewayCommandFor(['/opt/py/bin/python3', '-m', 'tui_gateway.entry'], venv), ['/opt/py/bin/python3', '-m', 'tui_gateway.entry'], 'one the operator chose: as chosen')
})

t.test('reading the script: a regular file only, never waiting', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hd-script-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const script = join(dir, 'hermes')
  writeFileSync(script, '#!/srv/venv/bin/python3\nprint(1)\n')
  t.equal(readScriptHead(script), '#!/srv/venv/bin/python3\nprint(1)\n', 'a script: its first bytes')
  t.equal(readScriptHead(join(dir, 'missing')), null, 'none: null')
  t.equal(readScriptHead(dir), null, 'a directory: null')
  // A FIFO with no writer would hold a blocking open for good (and the server's start with it).
  const fifo = join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
  t.equal(readScriptHead(fifo), null, 'a FIFO: null, at once')
})
