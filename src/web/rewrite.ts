// src/web/rewrite.ts
// What the server changes in the front end's files: the globals script in index.html, and asset URLs
// under a base path (in index.html and in url(...) of CSS), as the Python server does. Pure.

export interface PageGlobals {
  /** Null when this caller may not receive the token. */
  readonly token: string | null
  readonly basePath: string
  /**
   * The user signed in at an SSO proxy: Hermes' newer front end then opens its WebSockets with a
   * single-use ticket (POST /api/auth/ws-ticket) instead of the token in the URL.
   */
  readonly authRequired?: boolean
}

/** JSON, made safe inside a <script>: no `</script>`, no HTML comment openers, no line separators. */
function scriptLiteral (value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export function globalsScript (globals: PageGlobals): string {
  const lines = [
    globals.token === null ? '' : `window.__HERMES_SESSION_TOKEN__=${scriptLiteral(globals.token)};`,
    'window.__HERMES_DASHBOARD_EMBEDDED_CHAT__=true;',
    `window.__HERMES_BASE_PATH__=${scriptLiteral(globals.basePath)};`,
    `window.__HERMES_AUTH_REQUIRED__=${globals.authRequired === true};`,
  ]
  return `<script>${lines.join('')}</script>`
}

/** Inserts the globals before the first `</head>` (or at the start when there is none). */
export function injectGlobals (html: string, globals: PageGlobals): string {
  const script = globalsScript(globals)
  const at = html.search(/<\/head\s*>/i)
  return at === -1 ? script + html : html.slice(0, at) + script + html.slice(at)
}

const INDEX_ASSET_RE = /(href|src)="\/(assets\/|favicon\.ico"|fonts\/|ds-assets\/)/g

/** `href="/assets/x.js"` → `href="/prefix/assets/x.js"` for the literals the Hermes build emits. */
export function rewriteIndexAssets (html: string, prefix: string): string {
  if (prefix === '') return html
  return html.replace(INDEX_ASSET_RE, (_m, attr: string, rest: string) => `${attr}="${prefix}/${rest}`)
}

const CSS_URL_RE = /url\((["']?)\/(fonts\/|fonts-terminal\/|ds-assets\/|assets\/)/g

/** `url(/fonts/x.woff2)`, in any of the three quote styles, gains the prefix. */
export function rewriteCssUrls (css: string, prefix: string): string {
  if (prefix === '') return css
  return css.replace(CSS_URL_RE, (_m, quote: string, rest: string) => `url(${quote}${prefix}/${rest}`)
}
