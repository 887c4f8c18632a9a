// The one client module: every REST call and WebSocket URL goes through here, so the token header
// and the base path are added in one place.

const base = (() => {
  const raw = String(window.__HERMES_BASE_PATH__ ?? '').trim().replace(/\/+$/, '')
  return raw === '' ? '' : raw.startsWith('/') ? raw : `/${raw}`
})()
const token = typeof window.__HERMES_SESSION_TOKEN__ === 'string' ? window.__HERMES_SESSION_TOKEN__ : null

export class ApiError extends Error {
  constructor (status, body) {
    super(body?.detail ?? `HTTP ${status}`)
    this.status = status
    this.reason = body?.error ?? null
    this.hint = body?.hint ?? null
  }
}

export function apiUrl (path) {
  return `${base}${path}`
}

export async function api (path, init = {}) {
  const headers = new Headers(init.headers ?? {})
  if (token !== null) headers.set('X-Hermes-Session-Token', token)
  const res = await fetch(apiUrl(path), { ...init, headers, credentials: 'same-origin' })
  const text = await res.text()
  let body = null
  try { body = text === '' ? null : JSON.parse(text) } catch { body = { detail: text.slice(0, 200) } }
  if (!res.ok) throw new ApiError(res.status, body)
  return body
}

export function wsUrl (path, params = {}) {
  const q = new URLSearchParams(params)
  if (token !== null) q.set('token', token)
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${base}${path}?${q}`
}
