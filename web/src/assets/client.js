// The one client module: every REST call and every WebSocket goes through here, so the token header
// and the base path are added in one place and no view builds a URL of its own.

const base = (() => {
  const raw = String(window.__HERMES_BASE_PATH__ ?? '').trim().replace(/\/+$/, '')
  return raw === '' ? '' : raw.startsWith('/') ? raw : `/${raw}`
})()
// Null in token mode: there the page never sees the token, and its cookie carries the session.
const token = typeof window.__HERMES_SESSION_TOKEN__ === 'string' ? window.__HERMES_SESSION_TOKEN__ : null

/** A refused or failed REST call, with the server's reason code, detail and hint. */
export class ApiError extends Error {
  constructor (status, body) {
    super(body?.detail ?? `HTTP ${status}`)
    this.status = status
    this.reason = body?.error ?? null
    this.hint = body?.hint ?? null
  }
}

function withQuery (path, params) {
  const q = new URLSearchParams(params).toString()
  return q === '' ? `${base}${path}` : `${base}${path}?${q}`
}

/** REST call: JSON back, or an ApiError; a network failure stays a TypeError. */
export async function api (path, { params = {}, method = 'GET', body } = {}) {
  const headers = new Headers()
  if (token !== null) headers.set('X-Hermes-Session-Token', token)
  if (body !== undefined) headers.set('Content-Type', 'application/json')
  const res = await fetch(withQuery(path, params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  })
  const text = await res.text()
  let parsed = null
  // Not JSON: the answer came from something in front of the dashboard (a proxy's error page).
  try { parsed = text === '' ? null : JSON.parse(text) } catch { parsed = { detail: `${res.status} ${res.statusText} from something in front of the dashboard (a proxy?), not from the dashboard itself.` } }
  if (!res.ok) throw new ApiError(res.status, parsed)
  return parsed
}

/** WebSocket to this dashboard, under its base path, with the token (when the page has it) in the query. */
export function openSocket (path, params = {}) {
  const q = { ...params }
  if (token !== null) q.token = token
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return new WebSocket(`${scheme}//${location.host}${withQuery(path, q)}`)
}
