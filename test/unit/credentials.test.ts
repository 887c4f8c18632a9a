// test/unit/credentials.test.ts
// Bearer parsing, the cookie reader, the constant-time secret and the per-token cookie name.

import t from 'tap'
import { bearerToken, cookieNameFor, createSecret, generateToken, MAX_CREDENTIAL_LENGTH, readCookie, SESSION_HEADER } from '../../src/trust/credentials.js'

t.test('bearerToken', async (t) => {
  const cases: ReadonlyArray<readonly [string | undefined, string | null]> = [
    [undefined, null],
    ['', null],
    ['Bearer abc.def-ghi_jkl', 'abc.def-ghi_jkl'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['BeArEr abc', 'abc'],
    ['Bearer    abc', 'abc'],
    ['Bearer abc   ', 'abc'],
    ['Bearer abc=', 'abc='],
    // Basic (and every other scheme) belongs to the proxy
    ['Basic dXNlcjpwYXNz', null],
    ['basic dXNlcjpwYXNz', null],
    ['Digest username="u"', null],
    ['Token abc', null],
    // malformed Bearer
    ['Bearer', null],
    ['Bearer ', null],
    ['Bearer a b', null],
    ['Bearerabc', null],
    ['Bearer\tabc', null],
    [' Bearer abc', null],
    ['XBearer abc', null],
  ]
  for (const [header, want] of cases) t.equal(bearerToken(header), want, `bearerToken(${JSON.stringify(header)})`)
})

t.test('readCookie', async (t) => {
  const cases: ReadonlyArray<readonly [string | undefined, string, string | null]> = [
    [undefined, 'sid', null],
    ['', 'sid', null],
    ['sid=abc', 'sid', 'abc'],
    ['a=1; sid=abc; b=2', 'sid', 'abc'],
    ['a=1;sid=abc;b=2', 'sid', 'abc'],
    ['  sid  =  abc  ', 'sid', 'abc'],
    ['sid="quoted"', 'sid', 'quoted'],
    ['sid="', 'sid', '"'],
    ['sid=', 'sid', ''],
    ['sid=a=b', 'sid', 'a=b'],
    ['sid=first; sid=second', 'sid', 'first'],
    ['xsid=abc', 'sid', null],
    ['sidx=abc', 'sid', null],
    ['SID=abc', 'sid', null],
    ['garbage; sid=abc', 'sid', 'abc'],
    ['a=1; b=2', 'sid', null],
    ['sid=a%20b%3Dc', 'sid', 'a b=c'],
    ['sid=%E0%A4%A', 'sid', '%E0%A4%A'],
  ]
  for (const [header, name, want] of cases) t.equal(readCookie(header, name), want, `readCookie(${JSON.stringify(header)}, ${name})`)
})

t.test('createSecret', async (t) => {
  const token = 'test-token-0123456789abcdefghijklmnop'
  const secret = createSecret(token)
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['the same value', token, true],
    ['another value of the same length', token.replace(/p$/, 'q'), false],
    ['shorter', token.slice(0, -1), false],
    ['longer', `${token}x`, false],
    ['a prefix', token.slice(0, 4), false],
    ['empty', '', false],
    ['different case', token.toUpperCase(), false],
    ['over-long offered', 'x'.repeat(MAX_CREDENTIAL_LENGTH + 1), false],
    ['over-long offered that starts with the token', token + 'x'.repeat(MAX_CREDENTIAL_LENGTH), false],
  ]
  for (const [name, offered, want] of cases) t.equal(secret.matches(offered), want, name)

  // An expected value longer than the cap can never be matched: longer offers are refused unread.
  const long = 'y'.repeat(MAX_CREDENTIAL_LENGTH + 1)
  t.equal(createSecret(long).matches(long), false, 'over-long offered is refused even when equal')
  const atCap = 'z'.repeat(MAX_CREDENTIAL_LENGTH)
  t.equal(createSecret(atCap).matches(atCap), true, `exactly ${MAX_CREDENTIAL_LENGTH} characters is compared`)
  // Same UTF-16 length, different byte length: no throw from timingSafeEqual, just false.
  t.equal(createSecret('e').matches('\u00e9'), false, 'multi-byte offer of equal string length')
  t.equal(createSecret('\u00e9t\u00e9').matches('\u00e9t\u00e9'), true, 'non-ASCII secret matches itself')
})

t.test('cookieNameFor and generateToken', async (t) => {
  const a = cookieNameFor('token-a-0123456789abcdef')
  const b = cookieNameFor('token-b-0123456789abcdef')
  t.match(a, /^hermes_dashboard_[0-9a-f]{8}$/, 'shape')
  t.not(a, b, 'differs per token')
  t.equal(cookieNameFor('token-a-0123456789abcdef'), a, 'stable for one token')
  t.notMatch(a, /token-a/, 'the name does not contain the token')

  const tokens = new Set(Array.from({ length: 20 }, () => generateToken()))
  t.equal(tokens.size, 20, 'tokens differ')
  for (const tok of tokens) t.match(tok, /^[A-Za-z0-9_-]{43}$/, '32 bytes base64url')
  t.equal(SESSION_HEADER, 'x-hermes-session-token')
})
