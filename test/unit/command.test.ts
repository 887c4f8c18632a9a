// test/unit/command.test.ts
// splitCommand: one command string into argv, the way a POSIX shell treats quotes and backslashes.

import t from 'tap'
import { splitCommand } from '../../src/config/command.js'

t.test('splitCommand: words, quotes, escapes', async (t) => {
  const cases: ReadonlyArray<readonly [string, string[]]> = [
    ['hermes', ['hermes']],
    ['hermes --tui', ['hermes', '--tui']],
    ['python3 -m tui_gateway.entry', ['python3', '-m', 'tui_gateway.entry']],
    ['  a   b  ', ['a', 'b']],
    ['a\tb\nc', ['a', 'b', 'c']],
    // quotes
    ["a 'b c'", ['a', 'b c']],
    ['a "b c"', ['a', 'b c']],
    ["'it''s'", ['its']],
    ["a'b'c", ['abc']],
    ['a"b c"d', ['ab cd']],
    ['""', ['']],
    ["''", ['']],
    ['a "" b', ['a', '', 'b']],
    ['a""', ['a']],
    [`"it's"`, ["it's"]],
    [`'say "hi"'`, ['say "hi"']],
    // backslashes outside quotes escape anything
    ['a\\ b', ['a b']],
    ['\\"quoted\\"', ['"quoted"']],
    ["\\'", ["'"]],
    ['a\\\\b', ['a\\b']],
    ['trailing\\', ['trailing\\']],
    // inside double quotes only " \ $ ` are escaped
    ['"a\\"b"', ['a"b']],
    ['"a\\\\b"', ['a\\b']],
    ['"\\$HOME"', ['$HOME']],
    ['"\\`x\\`"', ['`x`']],
    ['"a\\nb"', ['a\\nb']],
    // inside single quotes nothing is special
    ["'a\\b'", ['a\\b']],
    ["'a\\'", ['a\\']],
    // no shell: no expansion, no operators
    ['$HOME', ['$HOME']],
    ['a;b|c&&d', ['a;b|c&&d']],
    ['node "/opt/my hermes/cli.js" --flag=\'x y\'', ['node', '/opt/my hermes/cli.js', '--flag=x y']],
  ]
  for (const [text, want] of cases) t.strictSame(splitCommand(text), want, `splitCommand(${JSON.stringify(text)})`)
})

t.test('splitCommand: unbalanced or empty → null', async (t) => {
  const cases = ['"abc', "'abc", 'a "b', "a 'b\"", '"a\\"', "it's", '', '   ', '\t\n']
  for (const text of cases) t.equal(splitCommand(text), null, `splitCommand(${JSON.stringify(text)}) is null`)
})
