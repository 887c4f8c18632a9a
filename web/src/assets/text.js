// What the page says, from what the server sent: pure functions from /api/status, /api/events and
// /api/trust/explain documents to words, with no DOM, so the unit tests run them in Node.

/** The gateway line of the Status view, from /api/status. */
export function gatewayText (s) {
  if (!s.gateway_running) return s.gateway_state ? `not running (${s.gateway_state})` : 'not running'
  return `${s.gateway_state ?? 'running'}${s.gateway_pid ? `, pid ${s.gateway_pid}` : ''}`
}

/** One line for an event: its type and what a person wants to read of it. */
export function summarizeEvent (text) {
  let msg
  try { msg = JSON.parse(text) } catch { return { type: 'text', line: String(text).slice(0, 300) } }
  const params = msg?.params ?? {}
  const type = typeof params.type === 'string' ? params.type : String(msg?.method ?? 'message')
  const p = params.payload ?? {}
  const line = typeof p.title === 'string' ? p.title
    : typeof p.text === 'string' ? p.text
      : typeof p.delta === 'string' ? p.delta
        : typeof p.name === 'string' ? p.name
          : JSON.stringify(p).slice(0, 300)
  return { type, line, params }
}

function verdictText (v) {
  return v.allow ? `allowed (${v.via})` : `refused: ${v.reason} (${v.status} / close ${v.close_code})`
}

function peerText (x) {
  const what = x.peer.trusted_proxy ? 'a trusted proxy' : x.peer.loopback ? 'this machine' : 'not a trusted proxy'
  return `${x.peer.address} (${what})`
}

/** The rows of the details list, from the explain document. Pure. */
export function connectionRows (x) {
  const credentials = Object.entries(x.credentials ?? {}).filter(([k, s]) => k !== 'ignoredAuthorization' && s !== 'absent').map(([k, s]) => `${k}: ${s}`)
  return [
    ['Mode', x.mode],
    ['Your address', x.client],
    ['Connection from', peerText(x)],
    ['Forwarded chain', x.forwarded.read ? (x.forwarded.hops.length > 0 ? x.forwarded.hops.join(' → ') : 'none sent') : (x.forwarded.sent.length > 0 ? `ignored (${x.forwarded.sent.join(', ')})` : 'none')],
    ['Address used', `${x.request.scheme}://${x.forwarded_host?.raw ?? x.host?.raw ?? '?'}${x.base_path}/`],
    ['Credentials', credentials.length > 0 ? credentials.join(', ') : 'none'],
    ['Signed-in user', x.identity ? x.identity.user : null],
    ['REST calls', verdictText(x.verdicts.protected_rest)],
    ['WebSockets', verdictText(x.verdicts.websocket)],
    ['Trusted proxies', x.settings.trusted_proxies.length > 0 ? x.settings.trusted_proxies.join(', ') : 'none'],
    ['Allowed hosts', x.settings.allowed_hosts.length > 0 ? x.settings.allowed_hosts.join(', ') : 'IP addresses and localhost only'],
  ]
}
