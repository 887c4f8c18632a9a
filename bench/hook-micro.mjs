// bench/hook-micro.mjs
// The trust hook's own CPU per request, without HTTP: inspect() + policy.evaluate() in a loop over the
// request the REST benchmark sends. Importable (measureHook) or runnable on its own for a breakdown:
//   node bench/hook-micro.mjs

import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { inspect } from '../dist/trust/inspect.js'
import { builtInPolicy } from '../dist/trust/policy.js'
import { compileTrustSettings } from '../dist/trust/settings.js'

export const BROWSER_HEADERS = Object.freeze({
  'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  Accept: 'application/json, text/plain, */*',
  'Accept-Language': 'en-US,en;q=0.9',
  'Accept-Encoding': 'gzip, deflate, br',
  Cookie: '_ga=GA1.1.1234567890.1700000000; theme=dark',
  'Sec-Fetch-Site': 'same-origin',
  'Sec-Fetch-Mode': 'cors',
  'Sec-Fetch-Dest': 'empty',
})

/** The raw request Node would hand the hook for the benchmark's request. */
export function rawRequest (token, host = '127.0.0.1:9119', url = '/api/actions/hermes-update/status?lines=1') {
  const list = [['Host', host], ...Object.entries(BROWSER_HEADERS), ['X-Hermes-Session-Token', token], ['Connection', 'keep-alive']]
  const headers = {}
  for (const [k, v] of list) headers[k.toLowerCase()] = v
  return { peer: '127.0.0.1', method: 'GET', url, headers, rawHeaders: list.flat(), upgrade: false, encrypted: false }
}

export function loopbackSettings (token) {
  return compileTrustSettings({
    mode: 'loopback',
    trustedProxies: [],
    forwarded: 'x-forwarded-for',
    hostNames: ['127.0.0.1'],
    publicBasePath: '',
    mountPrefix: '',
    token,
    internalCredential: randomBytes(32).toString('base64url'),
    identity: null,
  })
}

function timeLoop (fn, ms) {
  // Warm up, then run whole batches until `ms` has passed.
  for (let i = 0; i < 20_000; i++) fn()
  const batch = 10_000
  let n = 0
  const t0 = performance.now()
  let t = t0
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) fn()
    n += batch
    t = performance.now()
  }
  return ((t - t0) * 1000) / n // µs per call
}

/** µs per request of inspect() + evaluate(), and of each alone, for a request with this Host. */
export function measureHook (token, host = '127.0.0.1:9119', ms = 400) {
  const settings = loopbackSettings(token)
  const policy = builtInPolicy(settings)
  const raw = rawRequest(token, host)
  const route = Object.freeze({ access: 'protected', queryToken: false })
  const view = inspect(raw, settings)
  const verdict = policy.evaluate(view, route)
  if (!verdict.allow) throw new Error(`micro-loop request was refused: ${verdict.code}`)
  let sink = 0
  const both = timeLoop(() => { sink += policy.evaluate(inspect(raw, settings), route).allow ? 1 : 0 }, ms)
  const inspectOnly = timeLoop(() => { sink += inspect(raw, settings).problems.length }, ms)
  const evaluateOnly = timeLoop(() => { sink += policy.evaluate(view, route).allow ? 1 : 0 }, ms)
  if (sink === -1) console.log(sink)
  return { both, inspectOnly, evaluateOnly }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const token = randomBytes(32).toString('base64url')
  for (const host of ['127.0.0.1:9119', 'localhost:9119']) {
    const r = measureHook(token, host, 1000)
    console.log(`Host: ${host}`)
    console.log(`  inspect()+evaluate(): ${r.both.toFixed(2)} µs/request`)
    console.log(`  inspect() alone:      ${r.inspectOnly.toFixed(2)} µs/request`)
    console.log(`  evaluate() alone:     ${r.evaluateOnly.toFixed(2)} µs/request`)
  }
}
