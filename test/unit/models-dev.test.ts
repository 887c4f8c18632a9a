// test/unit/models-dev.test.ts
// A model's capabilities from the models.dev catalogue Hermes caches in its home: read through the
// home door once per request (not once per model), with Hermes' defaults, and {} for what the
// catalogue does not know or when there is no catalogue (Hermes offline).

import t from 'tap'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openHermesHome } from '../../src/hermes/home.js'
import { modelCapabilities } from '../../src/hermes/models-dev.js'

const CATALOGUE = {
  openai: {
    models: {
      'gpt-5': { tool_call: true, reasoning: true, modalities: { input: ['text', 'image'] }, limit: { context: 400000, output: 128000 }, family: 'gpt' },
      'Mini-Model': { attachment: true, limit: { context: 0 } },
    },
  },
  anthropic: { models: { 'claude-x': { tool_call: true, modalities: { input: ['text'] }, attachment: true } } },
}

t.test('capabilities from the cached catalogue', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hd-models-dev-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const profile = openHermesHome(dir).profile('default')

  const none = modelCapabilities(profile)
  t.same(none('gpt-5', 'openai'), {}, 'no catalogue: {} (Hermes offline)')

  const file = join(dir, 'models_dev_cache.json')
  writeFileSync(file, JSON.stringify(CATALOGUE))
  const caps = modelCapabilities(profile)
  t.same(caps('gpt-5', 'openai'), { supports_tools: true, supports_vision: true, supports_reasoning: true, context_window: 400000, max_output_tokens: 128000, model_family: 'gpt' })
  t.same(caps('mini-model', 'openai'), { supports_tools: false, supports_vision: true, supports_reasoning: false, context_window: 200000, max_output_tokens: 8192, model_family: '' },
    'found whatever its case; vision from attachment without modalities; Hermes\' defaults for missing or zero limits')
  t.same(caps('claude-x', 'anthropic').supports_vision, false, 'modalities win over attachment')
  t.same(caps('gpt-5', 'anthropic'), {}, 'another provider\'s model: {}')
  t.same(caps('gpt-5', 'nobody'), {}, 'an unknown provider: {}')

  // The file replaced meanwhile: a lookup made before keeps the catalogue it read (one per
  // request); the next request reads the new one.
  writeFileSync(file, JSON.stringify({ openai: { models: { 'gpt-5': { tool_call: false } } } }))
  utimesSync(file, new Date(), new Date(Date.now() + 5000))
  t.equal(caps('gpt-5', 'openai').supports_tools, true, 'one catalogue per lookup')
  t.equal(modelCapabilities(profile)('gpt-5', 'openai').supports_tools, false, 'the changed file is read again')

  writeFileSync(file, '{not json')
  utimesSync(file, new Date(), new Date(Date.now() + 10000))
  t.same(modelCapabilities(profile)('gpt-5', 'openai'), {}, 'a damaged catalogue: {}')
  rmSync(file)
  t.same(modelCapabilities(profile)('gpt-5', 'openai'), {}, 'removed again: {}')
})
