// src/hermes/config-yaml.ts
// Hermes' own config.yaml (not the dashboard's options, which are src/config/): what the dashboard
// reads of it. Parsing is pure; the home door reads the file and remembers the parse until it changes.

import { parseYaml } from '../config/yaml.js'
import type { ProfileDir } from './home.js'

// Hermes writes config.yaml in block style, `_config_version: 17` on a line of its own at the top
// level. That line, found once and alone, is the answer without loading and running a YAML parser
// (the first /api/status would otherwise pay for both). Anything else is parsed properly.
const VERSION_LINE = /^_config_version:[ \t]*(\d{1,9})[ \t]*(?:#.*)?$/gm

/** What a config.yaml says of its schema version: a whole number, nothing usable, or not YAML at all. */
export type StatedConfigVersion = number | 'absent' | 'unreadable'

/** `_config_version` of a config.yaml text: 'absent' when missing or not a whole number ≥ 0. */
export function parseConfigVersion (text: string): StatedConfigVersion {
  const lines = [...text.matchAll(VERSION_LINE)]
  if (lines.length === 1 && !text.includes('\t') && !/^(%|---|\.\.\.)/m.test(text)) return Number(lines[0]?.[1])
  try {
    const doc = parseYaml(text) as { _config_version?: unknown } | null
    const v = Number(doc?._config_version)
    return Number.isInteger(v) && v >= 0 ? v : 'absent'
  } catch {
    return 'unreadable'
  }
}

/** The profile's stated version; a missing file counts as unreadable (Hermes treats both alike). */
export function statedConfigVersion (profile: ProfileDir): StatedConfigVersion {
  return profile.parsed('config.yaml', parseConfigVersion) ?? 'unreadable'
}

/**
 * `config_version` and `latest_config_version` as the installed Hermes reports them. `latest` is
 * its own schema version (null when not known: then the stated one is shown as both, so no false
 * "migrate your config" alarm is raised). A missing or unreadable file is taken as up to date by
 * every release; a file without a version is up to date for v0.13 (it reads the version from the
 * config merged with its defaults) and legacy, 0, for v0.18 (it reads the file as written).
 */
export function reportedConfigVersions (stated: StatedConfigVersion, latest: number | null, absentIsLegacy: boolean): { current: number, latest: number } {
  if (latest === null) {
    const v = typeof stated === 'number' ? stated : 0
    return { current: v, latest: v }
  }
  if (typeof stated === 'number') return { current: stated, latest }
  return { current: stated === 'absent' && absentIsLegacy ? 0 : latest, latest }
}
