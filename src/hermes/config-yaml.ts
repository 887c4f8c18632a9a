// src/hermes/config-yaml.ts
// Hermes' own config.yaml (not the dashboard's options, which are src/config/): what the dashboard
// reads of it. Parsing is pure; the home door reads the file and remembers the parse until it changes.

import { parseYaml } from '../config/yaml.js'
import type { ProfileDir } from './home.js'

// Hermes writes config.yaml in block style, `_config_version: 17` on a line of its own at the top
// level. That line, found once and alone, is the answer without loading and running a YAML parser
// (the first /api/status would otherwise pay for both). Anything else is parsed properly.
const VERSION_LINE = /^_config_version:[ \t]*(\d{1,9})[ \t]*(?:#.*)?$/gm

/** `_config_version` of a config.yaml text; 0 when absent or not a whole number, or the text is not YAML. */
export function parseConfigVersion (text: string): number {
  const lines = [...text.matchAll(VERSION_LINE)]
  if (lines.length === 1 && !text.includes('\t') && !/^(%|---|\.\.\.)/m.test(text)) return Number(lines[0]?.[1])
  try {
    const doc = parseYaml(text) as { _config_version?: unknown } | null
    const v = Number(doc?._config_version)
    return Number.isInteger(v) && v >= 0 ? v : 0
  } catch {
    return 0
  }
}

export function configVersion (profile: ProfileDir): number {
  return profile.parsed('config.yaml', parseConfigVersion) ?? 0
}
