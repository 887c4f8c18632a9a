// test/unit/gateway-command.test.ts
// Which interpreter runs the default /api/ws gateway: the one Hermes' own script names.

import t from 'tap'
import { DEFAULT_GATEWAY_COMMAND, gatewayCommandFor, pythonOfScript } from '../../src/hermes/gateway-command.js'

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
