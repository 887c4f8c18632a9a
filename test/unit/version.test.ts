// test/unit/version.test.ts
// parseVersionOutput: the first line of `hermes version`.

import t from 'tap'
import { parseVersionOutput } from '../../src/hermes/version.js'

t.test('parseVersionOutput', async (t) => {
  const cases: ReadonlyArray<readonly [string, { version: string, releaseDate: string } | null]> = [
    ['Hermes Agent v0.13.0 (2026.5.7)', { version: '0.13.0', releaseDate: '2026.5.7' }],
    ['Hermes Agent v0.13.0 (2026.5.7)\nPython 3.12.1\nInstall: pip\n', { version: '0.13.0', releaseDate: '2026.5.7' }],
    ['Hermes Agent 0.13.0', { version: '0.13.0', releaseDate: '' }],
    ['Hermes Agent v1.2.3', { version: '1.2.3', releaseDate: '' }],
    ['Hermes Agent v1.2.3-rc.1+build.5 (2026.12.31)', { version: '1.2.3-rc.1+build.5', releaseDate: '2026.12.31' }],
    ['Hermes Agent v10.20.30   (2026-01-02)', { version: '10.20.30', releaseDate: '2026-01-02' }],
    ['warning: something\nHermes Agent v0.14.1 (2026.6.1)', { version: '0.14.1', releaseDate: '2026.6.1' }],
    [`Hermes Agent v0.13.0 (${'x'.repeat(40)})`, { version: '0.13.0', releaseDate: '' }],
    ['Hermes Agent v0.13.0 ()', { version: '0.13.0', releaseDate: '' }],
    ['', null],
    ['hermes agent v0.13.0', null],
    ['Hermes v0.13.0', null],
    ['Hermes Agent v0.13', null],
    ['Hermes Agent vX.Y.Z', null],
    ['command not found', null],
  ]
  for (const [text, want] of cases) t.strictSame(parseVersionOutput(text), want, JSON.stringify(text.slice(0, 50)))
})
