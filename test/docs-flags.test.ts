// test/docs-flags.test.ts
// The docs name only what exists. In README.md and every docs/**/*.md:
// (a) every --flag given to hermes-dashboard (a command line in a code block or an inline code span,
//     an ExecStart= line, a compose `command:` list of a hermes-dashboard service) is a flag of
//     src/config/options.ts, or --help/--version, or, after `doctor`, one of doctor's own flags;
// (b) every HERMES_DASHBOARD_* name is an option's variable, one the server names as ignored
//     (src/config/ignored-env.ts), or one of the few listed below with the reason;
// (c) every relative link leads to a file that exists, and a #anchor into a page to one of its headings.
// Each failure names the file, the line and what is unknown.

import t from 'tap'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { IGNORED_ENV } from '../src/config/ignored-env.js'
import { DOCTOR_OPTIONS } from '../src/doctor/options.js'
import { OPTIONS, type OptionSpec } from '../src/config/options.js'
import { PROJECT_ROOT } from './helpers/paths.js'

const SPECS: readonly OptionSpec[] = Object.values(OPTIONS)
const DASHBOARD_FLAGS: ReadonlySet<string> = new Set([...SPECS.map((o) => o.flag), 'help', 'version'])
/** `hermes-dashboard doctor URL …`'s flags (src/doctor/options.ts). */
const DOCTOR_FLAGS: ReadonlySet<string> = new Set(Object.keys(DOCTOR_OPTIONS))

/** HERMES_DASHBOARD_* names the docs may use that are neither an option's variable nor in IGNORED_ENV. */
const OTHER_NAMES: Readonly<Record<string, string>> = {
  HERMES_DASHBOARD: 'Hermes\' image\'s switch for its s6 dashboard service; the server does not read it',
  HERMES_DASHBOARD_READY: 'the machine-readable start-up line, HERMES_DASHBOARD_READY port=N (src/cli.ts)',
  HERMES_DASHBOARD_EMBEDDED_CHAT__: 'window.__HERMES_DASHBOARD_EMBEDDED_CHAT__, set in the page the Hermes front end reads',
  HERMES_DASHBOARD_TUI: 'Hermes\' own; removed from the environment of Hermes\' server behind the dashboard (src/backend)',
  HERMES_DASHBOARD_FILES_ROOT: 'Hermes\' own; not read here, passed on to Hermes\' server behind the dashboard (docs/docker.md)',
  HERMES_DASHBOARD_DRAIN_SECRET: 'Hermes\' own; not read here, passed on to Hermes\' server behind the dashboard (docs/docker.md)',
}
const OPTION_NAMES: readonly string[] = SPECS.flatMap((o) => o.env ?? [])

interface Finding {
  readonly file: string
  readonly line: number
  readonly message: string
}

// ---------------------------------------------------------------------------------------------
// Reading markdown: code blocks (with their language) and prose lines, with line numbers.

interface Line { readonly no: number, readonly text: string }
interface Block { readonly lang: string, readonly lines: readonly Line[] }
interface Page { readonly prose: readonly Line[], readonly blocks: readonly Block[] }

function parse (text: string): Page {
  const prose: Line[] = []
  const blocks: Block[] = []
  let open: { fence: string, lang: string, lines: Line[] } | null = null
  for (const [i, raw] of text.split('\n').entries()) {
    const line = { no: i + 1, text: raw.replace(/\r$/, '') }
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line.text)
    if (open === null) {
      if (fence !== null) open = { fence: (fence[1] as string).slice(0, 3), lang: (fence[2] ?? '').toLowerCase(), lines: [] }
      else prose.push(line)
    } else if (fence !== null && line.text.trim().startsWith(open.fence) && line.text.trim().replace(/[`~]/g, '') === '') {
      blocks.push({ lang: open.lang, lines: open.lines })
      open = null
    } else {
      open.lines.push(line)
    }
  }
  if (open !== null) blocks.push({ lang: open.lang, lines: open.lines })
  return { prose, blocks }
}

/** Inline code spans of a prose line, with their offset. */
function codeSpans (text: string): Array<{ text: string, at: number }> {
  const out: Array<{ text: string, at: number }> = []
  for (const m of text.matchAll(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g)) out.push({ text: m[2] as string, at: (m.index ?? 0) + (m[1] as string).length })
  return out
}

// ---------------------------------------------------------------------------------------------
// (a) flags given to hermes-dashboard.

const FLAG_RE = /(?<![\w-])--([A-Za-z][A-Za-z0-9-]*)/g
// The command word: hermes-dashboard (or its bundled hermes-dashboard.cjs), possibly with a path, as a
// whole word (not hermes-dashboard-base, /opt/hermes-dashboard/…, hermes-dashboard.service).
const INVOKE_RE = /(?:^|(?<=[\s`"'(=[]))(?:[^\s`"'(=[]*\/)?hermes-dashboard(?:\.mjs)?(?=$|[\s`"')\]])|(?:^|(?<=\s))npm (?:run )?start(?= --(?:\s|$))/g
// Where hermes-dashboard is a name, not a command: `journalctl -u hermes-dashboard`, `--name hermes-dashboard`.
const NAME_BEFORE_RE = /(?:^|\s)(?:-u|--unit|-t|--tag|--name)[\s=]+$/
const NOT_A_RUN_RE = /^\s*(?:\$\s+)?(?:sudo\s+(?:-\S+\s+)*)?(?:systemctl|journalctl|loginctl|systemd-analyze)\b/
// A command ends at a shell separator, a comment, or the end of its code span.
const STOP_RE = /;|&&|\|\||\s\|\s|`|\s#/

interface Segment { readonly text: string, readonly line: number, readonly at: number }

/** The line a position of joined text falls on. */
function lineAt (segments: readonly Segment[], pos: number): number {
  let line = segments[0]?.line ?? 0
  for (const s of segments) if (s.at <= pos) line = s.line
  return line
}

/** Flags in a piece of command text; a quoted value with a space in it (`--chat-command "hermes --tui"`) is a value, not flags. */
function flagsIn (text: string): Array<{ flag: string, pos: number }> {
  const unquoted = text.replace(/"[^"]*\s[^"]*"|'[^']*\s[^']*'/g, (q) => ' '.repeat(q.length))
  return [...unquoted.matchAll(FLAG_RE)].map((m) => ({ flag: m[1] as string, pos: m.index ?? 0 }))
}

/** Every invocation in `text` (a logical command line, or a code span), checked flag by flag. */
function checkInvocations (file: string, segments: readonly Segment[], out: Finding[]): void {
  const text = segments.map((s) => s.text).join(' ')
  if (NOT_A_RUN_RE.test(text)) return
  for (const m of text.matchAll(INVOKE_RE)) {
    const start = (m.index ?? 0) + m[0].length
    if (NAME_BEFORE_RE.test(text.slice(0, m.index ?? 0))) continue
    const rest = text.slice(start)
    const stop = STOP_RE.exec(rest)
    const scope = stop === null ? rest : rest.slice(0, stop.index)
    const doctor = /^\s*doctor(?=\s|$)/.test(scope)
    for (const { flag, pos } of flagsIn(scope)) {
      const known = doctor ? DOCTOR_FLAGS.has(flag) : DASHBOARD_FLAGS.has(flag)
      if (!known) {
        out.push({
          file,
          line: lineAt(segments, start + pos),
          message: doctor
            ? `--${flag} is not a flag of hermes-dashboard doctor (${[...DOCTOR_FLAGS].map((f) => `--${f}`).join(', ')}; src/doctor/options.ts)`
            : `--${flag} is not an option of hermes-dashboard (src/config/options.ts)`,
        })
      }
    }
  }
}

/** Code blocks: one logical line per command, lines ending in a backslash joined. */
function checkBlockCommands (file: string, block: Block, out: Finding[]): void {
  let pending: Segment[] = []
  let at = 0
  for (const line of block.lines) {
    const continued = /\\\s*$/.test(line.text)
    const text = continued ? line.text.replace(/\\\s*$/, '') : line.text
    pending.push({ text, line: line.no, at })
    at += text.length + 1
    if (!continued) {
      checkInvocations(file, pending, out)
      pending = []
      at = 0
    }
  }
  if (pending.length > 0) checkInvocations(file, pending, out)
}

const indentOf = (s: string): number => /^\s*/.exec(s)?.[0].length ?? 0
const NAMES_DASHBOARD_RE = /(?<![\w-])hermes-dashboard(?![\w-])/

/** YAML: a `command:` of a service whose block names hermes-dashboard (its image), or that runs it. */
function checkYamlCommands (file: string, block: Block, out: Finding[]): void {
  const lines = block.lines
  lines.forEach((line, i) => {
    const m = /^(\s*)(?:-\s+)?command:\s*(.*)$/.exec(line.text)
    if (m === null) return
    const indent = (m[1] as string).length
    // The service's block: back to the line that opened it, on to the line that closes it.
    let first = i
    while (first > 0 && (lines[first - 1]?.text.trim() === '' || indentOf(lines[first - 1]?.text ?? '') >= indent)) first--
    let last = i
    while (last + 1 < lines.length && (lines[last + 1]?.text.trim() === '' || indentOf(lines[last + 1]?.text ?? '') >= indent)) last++
    const service = lines.slice(Math.max(0, first - 1), last + 1)
    // The command's own items: the rest of its line, or the list under it.
    const items: Line[] = [{ no: line.no, text: m[2] as string }]
    for (let j = i + 1; j < lines.length; j++) {
      const next = lines[j] as Line
      if (next.text.trim() === '') continue
      if (indentOf(next.text) < indent || (indentOf(next.text) === indent && !/^\s*-\s/.test(next.text))) break
      items.push(next)
    }
    const runsIt = items.some((l) => NAMES_DASHBOARD_RE.test(l.text))
    if (!runsIt && !service.some((l) => NAMES_DASHBOARD_RE.test(l.text))) return
    const doctor = items.some((l) => /(?:^|[\s"'[,-])doctor(?=$|[\s"',\]])/.test(l.text))
    for (const item of items) {
      for (const { flag } of flagsIn(item.text)) {
        if (!(doctor ? DOCTOR_FLAGS : DASHBOARD_FLAGS).has(flag)) {
          out.push({ file, line: item.no, message: `--${flag} in a compose command: list of hermes-dashboard is not ${doctor ? 'a doctor flag' : 'an option of hermes-dashboard'} (src/config/options.ts)` })
        }
      }
    }
  })
}

function checkFlags (file: string, page: Page, out: Finding[]): void {
  for (const block of page.blocks) {
    checkBlockCommands(file, block, out)
    if (['yaml', 'yml', 'compose'].includes(block.lang) || block.lines.some((l) => /^services:\s*$/.test(l.text))) checkYamlCommands(file, block, out)
  }
  for (const line of page.prose) {
    for (const span of codeSpans(line.text)) {
      checkInvocations(file, [{ text: span.text, line: line.no, at: 0 }], out)
      // A span of flags alone (`--trust proxy --trusted-proxies …`) whose first flag is the dashboard's
      // is read as the dashboard's flags; a span that starts with another program's flag is left alone.
      const flags = flagsIn(span.text)
      if (/^\s*--/.test(span.text) && flags.length > 0 && DASHBOARD_FLAGS.has(flags[0]?.flag ?? '')) {
        for (const { flag } of flags) {
          if (!DASHBOARD_FLAGS.has(flag)) out.push({ file, line: line.no, message: `--${flag} (in \`${span.text}\`) is not an option of hermes-dashboard (src/config/options.ts)` })
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// (b) HERMES_DASHBOARD_* names.

function knownName (name: string): boolean {
  if (OPTION_NAMES.includes(name) || name in OTHER_NAMES) return true
  if (IGNORED_ENV.some((r) => r.name.endsWith('_') ? name.startsWith(r.name) : name === r.name)) return true
  // A family written with a trailing underscore (HERMES_DASHBOARD_*): some known name must be in it.
  if (name.endsWith('_')) return [...OPTION_NAMES, ...Object.keys(OTHER_NAMES), ...IGNORED_ENV.map((r) => r.name)].some((n) => n.startsWith(name))
  return false
}

function checkNames (file: string, text: string, out: Finding[]): void {
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/(?<![A-Za-z0-9])_*(HERMES_DASHBOARD(?:_[A-Z0-9_]*)?)(?![a-z0-9])/g)) {
      const name = m[1] as string
      if (!knownName(name)) {
        out.push({ file, line: i + 1, message: `${name} is not an option's variable (src/config/options.ts), nor a variable src/config/ignored-env.ts names, nor one listed in test/docs-flags.test.ts` })
      }
    }
  })
}

// ---------------------------------------------------------------------------------------------
// (c) relative links, and anchors into markdown pages (GitHub's heading ids).

function headingIds (text: string): Set<string> {
  const ids = new Set<string>()
  const seen = new Map<string, number>()
  for (const line of parse(text).prose) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line.text)
    if (m === null) continue
    const base = (m[1] as string).toLowerCase()
      .replace(/<[^>]+>/g, '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    ids.add(n === 0 ? base : `${base}-${n}`)
  }
  return ids
}

function checkLinks (file: string, page: Page, text: string, out: Finding[]): void {
  const here = resolve(PROJECT_ROOT, file)
  for (const line of page.prose) {
    // Links inside code spans are text, not links.
    let plain = line.text
    for (const span of codeSpans(line.text)) plain = plain.slice(0, span.at) + ' '.repeat(span.text.length) + plain.slice(span.at + span.text.length)
    for (const m of plain.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1] as string
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:, …
      const [path = '', anchor] = target.split('#', 2) as [string, string | undefined]
      const dest = path === '' ? here : resolve(dirname(here), decodeURIComponent(path))
      if (path !== '' && !existsSync(dest)) {
        out.push({ file, line: line.no, message: `link to ${target}: ${relative(PROJECT_ROOT, dest)} does not exist` })
        continue
      }
      if (anchor !== undefined && anchor !== '' && dest.endsWith('.md') && statSync(dest).isFile()) {
        const ids = headingIds(dest === here ? text : readFileSync(dest, 'utf8'))
        if (!ids.has(anchor)) out.push({ file, line: line.no, message: `link to ${target}: ${relative(PROJECT_ROOT, dest)} has no heading #${anchor}` })
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

function checkMarkdown (file: string, text: string): Finding[] {
  const page = parse(text)
  const out: Finding[] = []
  checkFlags(file, page, out)
  checkNames(file, text, out)
  checkLinks(file, page, text, out)
  const seen = new Set<string>()
  return out.filter((f) => {
    const key = `${f.file}:${f.line}:${f.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function markdownFiles (dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const full = join(dir, name)
    return statSync(full).isDirectory() ? markdownFiles(full) : name.endsWith('.md') ? [full] : []
  })
}

const FILES = ['README.md', ...markdownFiles(join(PROJECT_ROOT, 'docs')).map((f) => relative(PROJECT_ROOT, f))]

t.test('the checks catch a made-up flag, variable and link', async (t) => {
  const sample = [
    '# Sample',
    '',
    'Run `hermes-dashboard --trust proxy --trusted-proxy 10.0.0.2`.',
    'Or add `--allowed-hosts x --public-host y`.',
    '',
    '```sh',
    'hermes-dashboard --host 0.0.0.0 \\',
    '  --no-such-flag',
    'hermes-dashboard doctor https://x/ --token T --trust proxy',
    'journalctl -u hermes-dashboard --since today',
    'hermes-dashboard --chat-command "hermes --tui" --gateway-command \'python3 -m tui_gateway.entry --x\'',
    '```',
    '',
    '```ini',
    'ExecStart=/usr/bin/env hermes-dashboard --no-open --log-json',
    '```',
    '',
    '```yaml',
    'services:',
    '  dashboard:',
    '    image: hermes-dashboard',
    '    command: ["--trust", "proxy", "--proxies", "10.0.0.0/8"]',
    '  traefik:',
    '    image: traefik:v3',
    '    command:',
    '      - --providers.docker=true',
    '```',
    '',
    'Set HERMES_DASHBOARD_MADE_UP=1, not HERMES_DASHBOARD_BASIC_AUTH_USER.',
    'See [nowhere](nowhere.md), [trust](trust.md#no-such-heading) and [modes](trust.md#the-four-modes---trust).',
  ].join('\n')
  const messages = checkMarkdown('docs/sample.md', sample).map((f) => `${f.line}: ${f.message}`)
  const expect = [
    /^3: --trusted-proxy is not an option/,
    /^4: --public-host \(in `--allowed-hosts x --public-host y`\) is not an option/,
    /^8: --no-such-flag is not an option/,
    /^9: --trust is not a flag of hermes-dashboard doctor/,
    /^15: --log-json is not an option/,
    /^22: --proxies in a compose command: list/,
    /^29: HERMES_DASHBOARD_MADE_UP is not/,
    /^30: link to nowhere\.md: docs\/nowhere\.md does not exist/,
    /^30: link to trust\.md#no-such-heading: docs\/trust\.md has no heading #no-such-heading/,
  ]
  for (const re of expect) t.ok(messages.some((m) => re.test(m)), `reported: ${String(re)}`)
  t.strictSame(messages.filter((m) => !expect.some((re) => re.test(m))), [], 'nothing else reported')
})

t.test('every flag, variable and link in the docs exists', async (t) => {
  t.ok(FILES.includes('README.md') && FILES.includes('docs/trust.md'), `${FILES.length} files: README.md and docs/**/*.md`)
  for (const file of FILES) {
    const findings = checkMarkdown(file, readFileSync(join(PROJECT_ROOT, file), 'utf8'))
    for (const f of findings) t.fail(`${f.file}:${f.line}: ${f.message}`)
    if (findings.length === 0) t.pass(file)
  }
})
