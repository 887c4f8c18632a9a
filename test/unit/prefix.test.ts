// test/unit/prefix.test.ts
// The base path: normalised to '' or /a/b, refused when it could escape a path, attribute or string.

import t from 'tap'
import { joinPrefix, MAX_PREFIX_LENGTH, normalizePrefix } from '../../src/trust/prefix.js'

t.test('normalizePrefix: accepted', async (t) => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['', ''],
    ['/', ''],
    ['/a', '/a'],
    ['/a/b', '/a/b'],
    ['a/b', '/a/b'],
    ['a/b/', '/a/b'],
    ['/a/b/', '/a/b'],
    ['hermes', '/hermes'],
    ['/Hermes-Dash_1.0~x', '/Hermes-Dash_1.0~x'],
    ['/a.b/c', '/a.b/c'],
    [`/${'a'.repeat(MAX_PREFIX_LENGTH - 1)}`, `/${'a'.repeat(MAX_PREFIX_LENGTH - 1)}`],
  ]
  for (const [input, want] of cases) t.equal(normalizePrefix(input), want, `normalizePrefix(${JSON.stringify(input.slice(0, 30))})`)
})

t.test('normalizePrefix: refused', async (t) => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['..', 'dot-dot'],
    ['/a/../b', 'dot-dot segment'],
    ['/a/..', 'trailing dot-dot'],
    ['/...', 'dots'],
    ['//evil.example', 'protocol-relative'],
    ['/a//b', 'doubled slash'],
    ['/a/b//', 'trailing doubled slash'],
    ['//', 'only slashes'],
    ['/a"b', 'double quote'],
    ["/a'b", 'single quote'],
    ['/a`b', 'backtick'],
    ['/a<b', 'less-than'],
    ['/a>b', 'greater-than'],
    ['/a</script>', 'script close'],
    ['/a\\b', 'backslash'],
    ['/a?b', 'query'],
    ['/a#b', 'fragment'],
    ['/a%2e%2e', 'percent-encoding'],
    ['/a b', 'space'],
    [' /a', 'leading space'],
    ['/a\tb', 'tab'],
    ['/a\nb', 'newline'],
    ['/a\rb', 'carriage return'],
    ['/a\x00b', 'NUL'],
    ['/a\x7fb', 'DEL'],
    ['/a\u00a0b', 'no-break space'],
    // Issue 10 item 5: these pass as path characters but add attributes to Set-Cookie: Path=.
    ['/a;HttpOnly=0', 'semicolon (a cookie attribute)'],
    ['/a; Domain=evil.example', 'semicolon and space'],
    ['/a,b', 'comma'],
    ['/a=b', 'equals sign'],
    ['/a&b', 'ampersand'],
    ['/a\u00e9', 'non-ASCII letter'],
    [`/${'a'.repeat(MAX_PREFIX_LENGTH)}`, `${MAX_PREFIX_LENGTH + 1} characters`],
    ['a'.repeat(1000), 'far too long'],
  ]
  for (const [input, name] of cases) t.equal(normalizePrefix(input), null, `${name} is refused`)
})

t.test('joinPrefix', async (t) => {
  t.equal(joinPrefix(), '')
  t.equal(joinPrefix('', ''), '')
  t.equal(joinPrefix('/a', ''), '/a')
  t.equal(joinPrefix('', '/b'), '/b')
  t.equal(joinPrefix('/a', '/b'), '/a/b')
  t.equal(joinPrefix('/a', '', '/b/c'), '/a/b/c')
})
