// test/unit/config-version.test.ts
// `_config_version` of Hermes' config.yaml: the one-line fast path gives what a full YAML parse
// gives on every text it takes, and the texts it does not take are parsed.

import t from 'tap'
import { parse } from 'yaml'
import { parseConfigVersion, reportedConfigVersions, type StatedConfigVersion } from '../../src/hermes/config-yaml.js'

/** What a YAML parser says, the slow way: the reference for every case. */
function byParse (text: string): StatedConfigVersion {
  try {
    const v = Number((parse(text) as { _config_version?: unknown } | null)?._config_version)
    return Number.isInteger(v) && v >= 0 ? v : 'absent'
  } catch {
    return 'unreadable'
  }
}

const CASES: ReadonlyArray<[string, string]> = [
  ['Hermes\' own layout', '_config_version: 17\nmodel:\n  default: openai/gpt-5\ndashboard:\n  theme: dark\n'],
  ['version last, with a comment', 'model: m\n_config_version: 5  # bumped by migrate\n'],
  ['no version', 'model: m\n'],
  ['empty', ''],
  ['nested, not top-level', 'a:\n  _config_version: 9\n'],
  ['quoted number', '_config_version: "12"\n'],
  ['not a number', '_config_version: twelve\n'],
  ['negative', '_config_version: -3\n'],
  ['twice (invalid YAML: duplicate key)', '_config_version: 1\n_config_version: 2\n'],
  ['a document marker', '---\n_config_version: 4\n'],
  ['flow mapping over lines', '{a: 1,\n_config_version: 3}\n'],
  ['inside a block scalar that ends before it', 'notes: |\n  text\n_config_version: 8\n'],
  ['float', '_config_version: 3.5\n'],
]

t.test('the fast path and a full parse agree', async (t) => {
  for (const [what, text] of CASES) t.equal(parseConfigVersion(text), byParse(text), what)
})

t.test('one deliberate difference: a file broken elsewhere still shows its version line', async (t) => {
  const text = '_config_version: 7\nmodel: [unclosed\n'
  t.equal(byParse(text), 'unreadable', 'a parser gives up on the whole file')
  t.equal(parseConfigVersion(text), 7, 'the status shows the version Hermes wrote (Hermes itself reports the broken file)')
})

t.test('config_version and latest_config_version as each release reports them', async (t) => {
  // v0.13 reads the version from the config merged with its defaults; v0.18 from the file as written.
  const cases: ReadonlyArray<[string, StatedConfigVersion, number | null, boolean, { current: number, latest: number }]> = [
    ['v0.13, no version in the file: up to date', 'absent', 23, false, { current: 23, latest: 23 }],
    ['v0.18, no version in the file: legacy', 'absent', 33, true, { current: 0, latest: 33 }],
    ['v0.18, no file or not YAML: up to date', 'unreadable', 33, true, { current: 33, latest: 33 }],
    ['a stated version behind', 23, 33, true, { current: 23, latest: 33 }],
    ['an unknown release: the stated version twice, no false alarm', 17, null, false, { current: 17, latest: 17 }],
    ['an unknown release, nothing stated', 'absent', null, true, { current: 0, latest: 0 }],
  ]
  for (const [what, stated, latest, legacy, want] of cases) t.strictSame(reportedConfigVersions(stated, latest, legacy), want, what)
})
