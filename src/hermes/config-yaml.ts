// src/hermes/config-yaml.ts
// Hermes' own config.yaml (not the dashboard's options, which are src/config/): what the dashboard
// reads of it. Parsing is pure; the home door reads the file and remembers the parse until it changes.

import { parse as parseYaml } from 'yaml'
import type { ProfileDir } from './home.js'

/** `_config_version` of a config.yaml text; 0 when absent or not a whole number, or the text is not YAML. */
export function parseConfigVersion (text: string): number {
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
