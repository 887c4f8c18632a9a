// src/config/yaml.ts
// The YAML parser, loaded on first use: it is some seventy modules, and a Hermes home whose
// config.yaml the dashboard never needs to parse (no dashboard: section) should not pay for them.

import { createRequire } from 'node:module'

type Parse = (text: string) => unknown
let parser: Parse | null = null

export function parseYaml (text: string): unknown {
  parser ??= (createRequire(import.meta.url)('yaml') as { parse: Parse }).parse
  return parser(text)
}
