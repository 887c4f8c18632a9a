// src/config/sources.ts
// Reads raw option values from the command line, the environment and config.yaml. No validation
// beyond the shape of each source; every value keeps a label naming where it came from.

import { parseArgs } from 'node:util'
import { DashboardError } from '../errors.js'
import { openHermesHome } from '../hermes/home.js'
import { parseYaml } from './yaml.js'
import { OPTION_KEYS, OPTIONS, type OptionKey, type OptionSpec, type RawOptions, type RawValue } from './options.js'

/** A problem found while reading a source: it names the source and what was wrong. */
export class SourceError extends Error {}

/** Where readers put problems, so that every one is reported at once. */
export type Problems = string[]

/** Runs one reader; a SourceError becomes a problem on the list instead of ending the reading. */
export function attempt<T> (problems: Problems, read: () => T): T | undefined {
  try {
    return read()
  } catch (err) {
    if (!(err instanceof SourceError)) throw err
    problems.push(err.message)
    return undefined
  }
}

export interface ArgvResult {
  readonly options: RawOptions
  readonly help: boolean
  readonly version: boolean
}

function listOf (text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

/**
 * `--flag value` → `--flag=value` for options that take a value, as getopt does: the next word is the
 * value even when it starts with a dash (a generated token may), which parseArgs would refuse.
 */
export function joinOptionValues (argv: readonly string[], takesValue: ReadonlySet<string>): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      out.push(...argv.slice(i))
      break
    }
    if (arg.startsWith('--') && takesValue.has(arg.slice(2)) && i + 1 < argv.length) out.push(`${arg}=${argv[++i] as string}`)
    else out.push(arg)
  }
  return out
}

export function readArgv (argv: readonly string[]): ArgvResult {
  const spec: Record<string, { type: 'string' | 'boolean', multiple?: boolean }> = { help: { type: 'boolean' }, version: { type: 'boolean' } }
  for (const key of OPTION_KEYS) {
    const o: OptionSpec = OPTIONS[key]
    spec[o.flag] = { type: o.kind === 'boolean' ? 'boolean' : 'string', multiple: o.kind === 'list' }
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    const takesValue = new Set(Object.keys(spec).filter((flag) => spec[flag]?.type === 'string'))
    parsed = parseArgs({ args: joinOptionValues(argv, takesValue), options: spec, strict: true, allowPositionals: false })
  } catch (err) {
    throw new SourceError(`command line: ${(err as Error).message}`)
  }
  const options: RawOptions = {}
  for (const key of OPTION_KEYS) {
    const o: OptionSpec = OPTIONS[key]
    const v = parsed.values[o.flag]
    if (v === undefined) continue
    const source = `--${o.flag}`
    if (o.kind === 'list') options[key] = { value: (v as string[]).flatMap(listOf), source }
    else options[key] = { value: v as string | boolean, source }
  }
  return { options, help: parsed.values.help === true, version: parsed.values.version === true }
}

const TRUE = new Set(['1', 'true', 'yes', 'on'])
const FALSE = new Set(['0', 'false', 'no', 'off', ''])

/** Booleans from text: a typo such as `ture` is an error, never silently false. */
export function parseBooleanText (text: string): boolean | null {
  const t = text.trim().toLowerCase()
  if (TRUE.has(t)) return true
  if (FALSE.has(t)) return false
  return null
}

export function readEnv (env: Readonly<Record<string, string | undefined>>, problems: Problems): RawOptions {
  const options: RawOptions = {}
  for (const key of OPTION_KEYS) {
    const o: OptionSpec = OPTIONS[key]
    for (const name of o.env ?? []) {
      const text = env[name]
      if (text === undefined || (text === '' && o.kind !== 'boolean')) continue
      const raw = attempt(problems, () => toRaw(o, text, name))
      if (raw !== undefined) options[key] = raw
      break
    }
  }
  return options
}

function toRaw (o: OptionSpec, text: string, source: string): RawValue {
  if (o.kind === 'list') return { value: listOf(text), source }
  if (o.kind === 'boolean') {
    const b = parseBooleanText(text)
    if (b === null) throw new SourceError(`${source}: got ${JSON.stringify(text)}; expected 1, true, yes, on, 0, false, no or off`)
    return { value: b, source }
  }
  return { value: text, source }
}

/** The `dashboard:` section of $HERMES_HOME/config.yaml. Keys Hermes itself uses there are left alone. */
export function readConfigYaml (hermesHome: string, problems: Problems): RawOptions {
  return attempt(problems, () => readYamlSection(hermesHome, problems)) ?? {}
}

// One of our keys as YAML can write it: plain or quoted, in a block or a flow mapping; the key's
// text is there wherever the key is. Parsed as well: a double-quoted text with a backslash (a key
// spelt with escapes) and an explicit `? key` line (a comment may follow the key there).
const OUR_KEY = new RegExp(`(?:^|[^\\w-])(?:${OPTION_KEYS.map((k) => (OPTIONS[k] as OptionSpec).yaml).filter((y) => y !== undefined).join('|')})["']?\\s*:|"[^"\\n]*\\\\|^\\s*\\?\\s`, 'm')

/** False only when the text cannot hold a key of ours: then a parse would find none. */
function mayNameOurKeys (text: string): boolean {
  return OUR_KEY.test(text)
}

function readYamlSection (hermesHome: string, problems: Problems): RawOptions {
  // Through the home door: a FIFO or a symlink out of the home is reported, never waited on.
  const home = openHermesHome(hermesHome).profile('default')
  const path = home.show('config.yaml')
  let text: string | null
  try {
    text = home.readTextSync('config.yaml')
  } catch (err) {
    if (err instanceof DashboardError) throw new SourceError(`${hermesHome}/${err.message}`)
    throw err
  }
  // Hermes' own config.yaml often has no dashboard section at all, and where it has one it holds
  // Hermes' keys (theme), none of ours: nothing to parse then.
  if (text === null || !text.includes('dashboard') || !mayNameOurKeys(text)) return {}
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    throw new SourceError(`${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  if (doc === null || typeof doc !== 'object') return {}
  const section = (doc as Record<string, unknown>).dashboard
  if (section === undefined || section === null) return {}
  if (typeof section !== 'object' || Array.isArray(section)) throw new SourceError(`${path}: "dashboard" must be a mapping`)
  const options: RawOptions = {}
  for (const key of OPTION_KEYS) {
    const o: OptionSpec = OPTIONS[key]
    if (o.yaml === undefined) continue
    const v = (section as Record<string, unknown>)[o.yaml]
    if (v === undefined || v === null) continue
    const source = `config.yaml dashboard.${o.yaml}`
    const raw = attempt(problems, () => yamlValue(o, v, source))
    if (raw !== undefined) options[key] = raw
  }
  return options
}

function yamlValue (o: OptionSpec, v: unknown, source: string): RawValue {
  if (o.kind === 'list') {
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return { value: v.map(String).map((s) => s.trim()).filter((s) => s !== ''), source }
    if (typeof v === 'string') return { value: listOf(v), source }
    if (o.flag === 'group-profiles' && typeof v === 'object' && !Array.isArray(v)) {
      // A mapping reads naturally in YAML: { admins: '*', family: [alice, bob] }.
      return { value: Object.entries(v as Record<string, unknown>).flatMap(([g, p]) => (Array.isArray(p) ? p : [p]).map((x) => `${g}=${String(x)}`)), source }
    }
    throw new SourceError(`${source}: got ${JSON.stringify(v)}; expected a list or a comma-separated string`)
  }
  if (o.kind === 'boolean') {
    if (typeof v === 'boolean') return { value: v, source }
    return toRaw(o, String(v), source)
  }
  if (typeof v === 'string' || typeof v === 'number') return { value: String(v), source }
  throw new SourceError(`${source}: got ${JSON.stringify(v)}; expected a string`)
}

/** Values given programmatically (createDashboard options), converted to the same raw form. */
export function readObject (input: Readonly<Partial<Record<OptionKey, unknown>>>, problems: Problems): RawOptions {
  const options: RawOptions = {}
  for (const key of OPTION_KEYS) {
    const v = input[key]
    if (v === undefined || v === null) continue
    const o: OptionSpec = OPTIONS[key]
    const source = `option ${key}`
    if (o.kind === 'list') {
      if (typeof v === 'string') options[key] = { value: listOf(v), source }
      else if (Array.isArray(v)) options[key] = { value: v.map(String), source }
      else problems.push(`${source}: got ${JSON.stringify(v)}; expected an array of strings`)
    } else if (o.kind === 'boolean') {
      if (typeof v === 'boolean') options[key] = { value: v, source }
      else problems.push(`${source}: got ${JSON.stringify(v)}; expected true or false`)
    } else if (typeof v === 'string' || typeof v === 'number') {
      options[key] = { value: String(v), source }
    } else {
      problems.push(`${source}: got ${JSON.stringify(v)}; expected a string`)
    }
  }
  return options
}

/** Later sources fill only what earlier ones left unset. */
export function layer (...sources: readonly RawOptions[]): RawOptions {
  const out: RawOptions = {}
  for (const source of sources) {
    for (const key of OPTION_KEYS) {
      if (out[key] === undefined && source[key] !== undefined) out[key] = source[key]
    }
  }
  return out
}
