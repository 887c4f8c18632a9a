// test/unit/identity.test.ts
// Identity headers from an SSO proxy: folding of aliased spellings, duplicates, untrusted peers,
// groups, and the group → profile binding.

import t from 'tap'
import { isProfileName } from '../../src/hermes/profiles.js'
import { boundProfiles, parseGroupProfiles, readIdentity, splitGroups, type IdentityReading, type IdentitySettings } from '../../src/trust/identity.js'

const SETTINGS: IdentitySettings = {
  userHeader: 'remote-user',
  groupsHeader: 'remote-groups',
  separators: ',|',
  groupProfiles: new Map([['admins', ['*']], ['family', ['alice']], ['kids', ['bob', 'carol']]]),
}

t.test('readIdentity', async (t) => {
  const cases: ReadonlyArray<{ name: string, raw: string[], trusted?: boolean, settings?: IdentitySettings, want: IdentityReading['kind'], user?: string, groups?: string[], detail?: RegExp }> = [
    { name: 'user from the trusted proxy', raw: ['Remote-User', 'alice'], want: 'present', user: 'alice', groups: [] },
    { name: 'user and groups', raw: ['Remote-User', 'alice', 'Remote-Groups', 'family,admins'], want: 'present', user: 'alice', groups: ['family', 'admins'] },
    { name: 'upper-case dash spelling is the same header', raw: ['REMOTE-USER', 'alice', 'remote-groups', 'a|b'], want: 'present', user: 'alice', groups: ['a', 'b'] },
    { name: 'user value is trimmed', raw: ['Remote-User', '  alice  '], want: 'present', user: 'alice', groups: [] },
    { name: 'unrelated headers ignored', raw: ['Host', 'h', 'X-Remote-User', 'mallory', 'Remote-Userx', 'eve', 'Remote-User', 'alice'], want: 'present', user: 'alice', groups: [] },
    { name: 'no identity headers', raw: ['Host', 'h'], want: 'absent' },
    { name: 'no identity headers from an untrusted peer', raw: ['Host', 'h'], trusted: false, want: 'absent' },
    { name: 'empty user', raw: ['Remote-User', '   '], want: 'absent' },
    { name: 'groups without a user', raw: ['Remote-Groups', 'admins'], want: 'absent' },
    // spoofing: aliases, duplicates, untrusted peers
    { name: 'underscore spelling Remote_User', raw: ['Remote_User', 'alice'], want: 'spoofed', detail: /Remote_User/ },
    { name: 'dot spelling Remote.User', raw: ['Remote.User', 'alice'], want: 'spoofed', detail: /Remote\.User/ },
    { name: 'mixed spelling remote_user next to the real one', raw: ['Remote-User', 'alice', 'remote_user', 'mallory'], want: 'spoofed' },
    { name: 'alias of the groups header', raw: ['Remote-User', 'alice', 'Remote_Groups', 'admins'], want: 'spoofed', detail: /Remote_Groups/ },
    { name: 'user sent twice', raw: ['Remote-User', 'alice', 'Remote-User', 'mallory'], want: 'spoofed', detail: /more than once/ },
    { name: 'user sent twice, different case', raw: ['Remote-User', 'alice', 'remote-user', 'alice'], want: 'spoofed', detail: /more than once/ },
    { name: 'groups sent twice', raw: ['Remote-User', 'alice', 'Remote-Groups', 'a', 'Remote-Groups', 'admins'], want: 'spoofed', detail: /more than once/ },
    { name: 'user from an untrusted peer', raw: ['Remote-User', 'alice'], trusted: false, want: 'spoofed', detail: /not a trusted proxy/ },
    { name: 'groups alone from an untrusted peer', raw: ['Remote-Groups', 'admins'], trusted: false, want: 'spoofed', detail: /not a trusted proxy/ },
    { name: 'empty user from an untrusted peer', raw: ['Remote-User', ''], trusted: false, want: 'spoofed' },
    { name: 'control character in the user', raw: ['Remote-User', 'ali\x01ce'], want: 'spoofed', detail: /control/ },
    { name: 'DEL in the user', raw: ['Remote-User', 'ali\x7fce'], want: 'spoofed' },
    { name: 'over-long user', raw: ['Remote-User', 'a'.repeat(257)], want: 'spoofed', detail: /too long/ },
    { name: 'too many groups', raw: ['Remote-User', 'alice', 'Remote-Groups', Array.from({ length: 257 }, (_, i) => `g${i}`).join(',')], want: 'spoofed', detail: /groups/ },
    // without a groups header configured, a groups header is just another header
    { name: 'groups header not configured', raw: ['Remote-User', 'alice', 'Remote-Groups', 'admins', 'Remote_Groups', 'x'], settings: { ...SETTINGS, groupsHeader: null }, want: 'present', user: 'alice', groups: [] },
    { name: 'authentik header names', raw: ['X-authentik-username', 'alice', 'X-authentik-groups', 'a|b'], settings: { ...SETTINGS, userHeader: 'x-authentik-username', groupsHeader: 'x-authentik-groups' }, want: 'present', user: 'alice', groups: ['a', 'b'] },
    { name: 'authentik alias with underscores', raw: ['X_authentik_username', 'alice'], settings: { ...SETTINGS, userHeader: 'x-authentik-username', groupsHeader: 'x-authentik-groups' }, want: 'spoofed' },
  ]
  for (const c of cases) {
    const r = readIdentity(c.settings ?? SETTINGS, c.raw, c.trusted ?? true)
    t.equal(r.kind, c.want, `${c.name}: ${c.want}`)
    if (r.kind === 'present') {
      t.equal(r.identity.user, c.user, `${c.name}: user`)
      t.strictSame(r.identity.groups, c.groups, `${c.name}: groups`)
    }
    if (r.kind === 'spoofed' && c.detail !== undefined) t.match(r.detail, c.detail, `${c.name}: detail`)
  }
  t.equal(readIdentity(SETTINGS, ['Remote-User', 'a'.repeat(256)], true).kind, 'present', '256 characters is fine')
  t.equal(readIdentity(SETTINGS, ['Remote-User', 'alice', 'Remote-Groups', Array.from({ length: 256 }, (_, i) => `g${i}`).join('|')], true).kind, 'present', '256 groups is fine')
})

t.test('splitGroups', async (t) => {
  const cases: ReadonlyArray<readonly [string, string, string[]]> = [
    ['a,b,c', ',|', ['a', 'b', 'c']],
    ['a|b|c', ',|', ['a', 'b', 'c']],
    ['a, b |c', ',|', ['a', 'b', 'c']],
    [',,a,,|b|', ',|', ['a', 'b']],
    ['', ',|', []],
    ['  ', ',|', []],
    ['one group', ',|', ['one group']],
    ['a|b', ',', ['a|b']],
    ['a;b:c', ';:', ['a', 'b', 'c']],
    ['a b', ' ', ['a', 'b']],
  ]
  for (const [text, sep, want] of cases) t.strictSame(splitGroups(text, sep), want, `${JSON.stringify(text)} on ${JSON.stringify(sep)}`)
})

t.test('boundProfiles: binding, * and deny by default', async (t) => {
  const cases: ReadonlyArray<readonly [string[], '*' | string[]]> = [
    [['admins'], '*'],
    [['family', 'admins'], '*'],
    [['family'], ['alice']],
    [['kids'], ['bob', 'carol']],
    [['family', 'kids'], ['alice', 'bob', 'carol']],
    [['strangers'], []],
    [[], []],
    [['Family'], []],
  ]
  for (const [groups, want] of cases) {
    const got = boundProfiles(SETTINGS, { user: 'u', groups })
    if (want === '*') t.equal(got, '*', `${groups.join(',')} → *`)
    else t.strictSame(got === '*' ? '*' : [...got].sort(), want, `${groups.join(',') || '(none)'} → ${want.join(',') || 'nothing'}`)
  }
  const unbound = boundProfiles({ ...SETTINGS, groupProfiles: null }, { user: 'u', groups: ['admins'] })
  t.not(unbound, '*', 'no binding configured gives no wildcard')
  t.equal(unbound === '*' ? -1 : unbound.size, 0, 'no binding configured gives no profiles')
})

t.test('parseGroupProfiles', async (t) => {
  const map = parseGroupProfiles(['admins=*', 'family=alice', 'family=bob', ' kids = carol '])
  t.strictSame([...map.entries()], [['admins', ['*']], ['family', ['alice', 'bob']], ['kids', ['carol']]])
  t.equal(parseGroupProfiles([]).size, 0, 'empty list')
  const bad: ReadonlyArray<readonly [string, RegExp]> = [
    ['admins', /"admins" is not group=profile/],
    ['=alice', /"=alice" is not group=profile/],
    ['admins=', /"admins=" is not group=profile/],
    ['admins=Alice', /"Alice" is not a profile name/],
    ['admins=../etc', /"\.\.\/etc" is not a profile name/],
    ['admins=a b', /"a b" is not a profile name/],
    ['admins=**', /"\*\*" is not a profile name/],
    ['admins=-x', /"-x" is not a profile name/],
  ]
  for (const [entry, message] of bad) {
    t.throws(() => parseGroupProfiles(['ok=alice', entry]), { message }, `${entry} refused`)
  }
})

t.test('isProfileName', async (t) => {
  const cases: ReadonlyArray<readonly [string, boolean]> = [
    ['default', true],
    ['alice', true],
    ['a', true],
    ['0day', true],
    ['work-2_b', true],
    ['a'.repeat(64), true],
    ['a'.repeat(65), false],
    ['', false],
    ['Alice', false],
    ['-x', false],
    ['_x', false],
    ['a.b', false],
    ['a b', false],
    ['../x', false],
    ['a/b', false],
    ['*', false],
    ['al\u00efce', false],
  ]
  for (const [name, ok] of cases) t.equal(isProfileName(name), ok, `${JSON.stringify(name.length > 20 ? name.slice(0, 8) + '…' : name)} ${ok ? 'is' : 'is not'} a profile name`)
})
