// src/hermes/models-dev.ts
// What Hermes knows of a model's capabilities, from the models.dev catalogue it caches in
// HERMES_HOME/models_dev_cache.json (read through the home door, parsed once per change). The
// fields and defaults are Hermes' own; a model or provider the cache does not know gives {}, as
// Hermes answers offline. Hermes maps a few of its provider ids to other models.dev ids in a
// Python table of its own; here a provider is looked up by its own id.

import type { Capabilities } from './analytics.js'
import type { ProfileDir } from './home.js'

type Catalogue = Record<string, { models?: Record<string, Record<string, unknown>> }>

function parseCatalogue (text: string): Catalogue {
  try {
    const doc = JSON.parse(text) as unknown
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? doc as Catalogue : {}
  } catch {
    return {}
  }
}

const MAX_CATALOGUE = 32 * 1024 * 1024

function catalogueOf (profile: ProfileDir): Catalogue | null {
  try {
    return profile.parsed('models_dev_cache.json', parseCatalogue, MAX_CATALOGUE)
  } catch {
    return null
  }
}

/** The capabilities of each model, from the catalogue as it is now (read once per call, not per model). */
export function modelCapabilities (profile: ProfileDir): Capabilities {
  const catalogue = catalogueOf(profile)
  return catalogue === null ? () => ({}) : (model, provider) => capabilitiesIn(catalogue, model, provider)
}

function capabilitiesIn (catalogue: Catalogue, model: string, provider: string): Record<string, unknown> {
  const models = catalogue[provider]?.models
  if (models === undefined || models === null || typeof models !== 'object') return {}
  const entry = models[model] ?? Object.entries(models).find(([id]) => id.toLowerCase() === model.toLowerCase())?.[1]
  if (entry === undefined || typeof entry !== 'object') return {}
  const input = (entry.modalities as { input?: unknown } | undefined)?.input
  const limit = (typeof entry.limit === 'object' && entry.limit !== null ? entry.limit : {}) as { context?: unknown, output?: unknown }
  const positive = (v: unknown, d: number): number => (typeof v === 'number' && v > 0 ? Math.trunc(v) : d)
  return {
    supports_tools: entry.tool_call === true,
    supports_vision: Array.isArray(input) ? input.includes('image') : entry.attachment === true,
    supports_reasoning: entry.reasoning === true,
    context_window: positive(limit.context, 200000),
    max_output_tokens: positive(limit.output, 8192),
    model_family: typeof entry.family === 'string' ? entry.family : '',
  }
}
