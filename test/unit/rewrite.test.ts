// test/unit/rewrite.test.ts
// What the server changes in the front end's files: the globals script in index.html, asset URLs in
// index.html and url(...) in CSS under a base path.

import { runInNewContext } from 'node:vm'
import t from 'tap'
import { globalsScript, injectGlobals, rewriteCssUrls, rewriteIndexAssets } from '../../src/web/rewrite.js'

/** Runs the script's body and returns the globals it set. */
function globalsOf (html: string): Record<string, unknown> {
  const m = /<script>([\s\S]*?)<\/script>/.exec(html)
  if (m === null) throw new Error('no script')
  const window: Record<string, unknown> = {}
  runInNewContext(m[1] as string, { window })
  return window
}

t.test('injectGlobals: placement', async (t) => {
  const g = { token: 'tok-123', basePath: '/hermes' }
  const script = globalsScript(g)
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['before </head>', '<html><head><title>x</title></head><body></body></html>', `<html><head><title>x</title>${script}</head><body></body></html>`],
    ['upper-case </HEAD>', '<HTML><HEAD></HEAD></HTML>', `<HTML><HEAD>${script}</HEAD></HTML>`],
    ['</head > with a space', '<head></head ><body>', `<head>${script}</head ><body>`],
    ['the first </head>', '<head></head><body>"</head>"</body>', `<head>${script}</head><body>"</head>"</body>`],
    ['no head: at the start', '<body>hi</body>', `${script}<body>hi</body>`],
    ['empty document', '', script],
  ]
  for (const [name, html, want] of cases) t.equal(injectGlobals(html, g), want, name)
})

t.test('injectGlobals: values', async (t) => {
  const withToken = globalsOf(injectGlobals('<head></head>', { token: 'tok-123', basePath: '/hermes' }))
  t.strictSame(withToken, {
    __HERMES_SESSION_TOKEN__: 'tok-123',
    __HERMES_DASHBOARD_EMBEDDED_CHAT__: true,
    __HERMES_BASE_PATH__: '/hermes',
    __HERMES_AUTH_REQUIRED__: false,
  })
  const html = injectGlobals('<head></head>', { token: null, basePath: '' })
  t.notMatch(html, /__HERMES_SESSION_TOKEN__/, 'token null: no token line')
  t.strictSame(globalsOf(html), {
    __HERMES_DASHBOARD_EMBEDDED_CHAT__: true,
    __HERMES_BASE_PATH__: '',
    __HERMES_AUTH_REQUIRED__: false,
  })
})

t.test('injectGlobals: values cannot break out of the script', async (t) => {
  const nasty = [
    '</script><script>alert(1)</script>',
    '</SCRIPT>',
    '<!--',
    '<![CDATA[',
    '"; alert(1); "',
    "'; alert(1); '",
    '\\"',
    'a\u2028b\u2029c',
    'a&amp;b',
    '${x}`',
  ]
  for (const value of nasty) {
    // Test names stay ASCII: a raw U+2028 would split a TAP line.
    const name = JSON.stringify(value).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
    const html = injectGlobals('<head></head>', { token: value, basePath: value })
    const body = html.slice('<head><script>'.length, html.lastIndexOf('</script>'))
    t.notMatch(body, /<\/script/i, `${name}: no </script in the body`)
    t.notMatch(body, /<!--|<!\[CDATA\[/, `${name}: no comment or CDATA opener`)
    t.notMatch(body, /[\u2028\u2029<>&]/, `${name}: no raw < > & or line separators`)
    t.equal(html.match(/<\/script>/gi)?.length, 1, `${name}: exactly one closing tag`)
    const g = globalsOf(html)
    t.equal(g.__HERMES_SESSION_TOKEN__, value, `${name}: token round-trips`)
    t.equal(g.__HERMES_BASE_PATH__, value, `${name}: base path round-trips`)
  }
})

t.test('rewriteIndexAssets', async (t) => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['<script src="/assets/index-abc.js"></script>', '<script src="/p/q/assets/index-abc.js"></script>'],
    ['<link href="/assets/index.css" rel="stylesheet">', '<link href="/p/q/assets/index.css" rel="stylesheet">'],
    ['<link rel="icon" href="/favicon.ico">', '<link rel="icon" href="/p/q/favicon.ico">'],
    ['<link href="/fonts/x.woff2">', '<link href="/p/q/fonts/x.woff2">'],
    ['<link href="/ds-assets/a.svg"><img src="/ds-assets/b.png">', '<link href="/p/q/ds-assets/a.svg"><img src="/p/q/ds-assets/b.png">'],
    ['<a href="/api/status">', '<a href="/api/status">'],
    ['<a href="/favicon.ico.bak">', '<a href="/favicon.ico.bak">'],
    ['<a href="/assetsx/y">', '<a href="/assetsx/y">'],
    ['<script src="https://cdn.example/assets/x.js">', '<script src="https://cdn.example/assets/x.js">'],
    ['<script src="assets/x.js">', '<script src="assets/x.js">'],
    ['<p>href="/assets/ is text too</p>', '<p>href="/p/q/assets/ is text too</p>'],
  ]
  for (const [html, want] of cases) t.equal(rewriteIndexAssets(html, '/p/q'), want, html)
  const page = cases.map(([html]) => html).join('\n')
  t.equal(rewriteIndexAssets(page, ''), page, 'empty prefix: unchanged')
  t.equal(rewriteIndexAssets(rewriteIndexAssets(page, '/p'), '/p').match(/\/p\/p\//g), null, 'no double prefix from one pass each')
})

t.test('rewriteCssUrls: all three quote styles', async (t) => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['src:url(/fonts/a.woff2)', 'src:url(/h/fonts/a.woff2)'],
    ["src:url('/fonts/a.woff2')", "src:url('/h/fonts/a.woff2')"],
    ['src:url("/fonts/a.woff2")', 'src:url("/h/fonts/a.woff2")'],
    ['url(/fonts-terminal/t.woff2)', 'url(/h/fonts-terminal/t.woff2)'],
    ["url('/fonts-terminal/t.woff2')", "url('/h/fonts-terminal/t.woff2')"],
    ['url("/ds-assets/i.svg")', 'url("/h/ds-assets/i.svg")'],
    ['url(/ds-assets/i.svg)', 'url(/h/ds-assets/i.svg)'],
    ["url('/assets/bg.png')", "url('/h/assets/bg.png')"],
    ['url(/assets/bg.png)', 'url(/h/assets/bg.png)'],
    ['a{b:url(/fonts/1)}c{d:url("/assets/2")}', 'a{b:url(/h/fonts/1)}c{d:url("/h/assets/2")}'],
    ['url(/other/x.png)', 'url(/other/x.png)'],
    ['url(data:image/png;base64,AAAA)', 'url(data:image/png;base64,AAAA)'],
    ['url(https://cdn.example/fonts/x)', 'url(https://cdn.example/fonts/x)'],
    ['url(fonts/x)', 'url(fonts/x)'],
  ]
  for (const [css, want] of cases) t.equal(rewriteCssUrls(css, '/h'), want, css)
  const sheet = cases.map(([css]) => css).join('\n')
  t.equal(rewriteCssUrls(sheet, ''), sheet, 'empty prefix: unchanged')
})
