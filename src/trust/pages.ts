// src/trust/pages.ts
// The small HTML pages the trust code answers with instead of the front end: the token page of token
// mode, and a refusal page that says why, so a browser never shows a blank page or a bare JSON body.

import { ERRORS } from '../errors.js'
import type { Deny } from './policy.js'

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#101418;color:#e6e9ec;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{max-width:34rem;padding:2rem;margin:1rem;background:#182028;border-radius:12px;border:1px solid #2a3540}
h1{font-size:1.3rem;margin:0 0 .75rem}code{background:#0c1014;padding:.1rem .35rem;border-radius:4px;font-size:.9em}
p{margin:.5rem 0}.reason{color:#f0a8a8}.hint{color:#b8c4ce}
form{display:flex;gap:.5rem;margin-top:1rem;flex-wrap:wrap}input{flex:1;min-width:12rem;padding:.55rem .7rem;border-radius:8px;border:1px solid #3a4856;background:#0c1014;color:inherit;font:inherit}
button{padding:.55rem 1rem;border-radius:8px;border:0;background:#3d7eff;color:#fff;font:inherit;cursor:pointer}`

function page (title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main>${body}</main></body></html>`
}

/** The page for a refused page load; token denials get a form that asks for the token. */
export function refusalPage (verdict: Deny): string {
  const reason = ERRORS[verdict.code].reason
  const askToken = verdict.code === 'HD_ERR_TOKEN_MISSING' || verdict.code === 'HD_ERR_TOKEN_INVALID'
  if (askToken) {
    const wrong = verdict.code === 'HD_ERR_TOKEN_INVALID' ? '<p class="reason">That token is not this dashboard\'s token.</p>' : ''
    return page('Hermes dashboard: session token', '<h1>Hermes dashboard</h1>' +
      '<p>This dashboard asks for its session token. It was printed when the dashboard started ' +
      '(or set with <code>HERMES_DASHBOARD_SESSION_TOKEN</code>).</p>' + wrong +
      '<form method="get" autocomplete="off"><label for="token" hidden>Session token</label>' +
      '<input id="token" name="token" type="password" placeholder="Session token" required autofocus>' +
      '<button type="submit">Open</button></form>' +
      `<p class="hint" data-reason="${escapeHtml(reason)}">Reason: <code>${escapeHtml(reason)}</code></p>`)
  }
  return page('Hermes dashboard: refused', '<h1>The dashboard refused this request</h1>' +
    `<p class="reason" data-reason="${escapeHtml(reason)}">Reason: <code>${escapeHtml(reason)}</code>. ${escapeHtml(verdict.detail)}</p>` +
    `<p class="hint">${escapeHtml(verdict.hint)}</p>` +
    '<p class="hint">The server log has the same line; <code>/api/trust/explain</code> on the dashboard host shows how the request was seen.</p>')
}
