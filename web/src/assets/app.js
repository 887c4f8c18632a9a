import { api, ApiError, wsUrl } from './client.js'

const $ = (id) => document.getElementById(id)

function badge (el, text, kind) {
  el.textContent = text
  el.className = `badge ${kind ?? ''}`
}

function row (dl, label, value) {
  const dt = document.createElement('dt')
  dt.textContent = label
  const dd = document.createElement('dd')
  dd.textContent = value
  dl.append(dt, dd)
}

async function refreshStatus () {
  const dl = $('status')
  try {
    const s = await api('/api/status')
    dl.replaceChildren()
    row(dl, 'Hermes', `${s.version}${s.release_date ? ` (${s.release_date})` : ''}`)
    row(dl, 'Gateway', s.gateway_running ? `${s.gateway_state ?? 'running'}${s.gateway_pid ? `, pid ${s.gateway_pid}` : ''}` : (s.gateway_state ?? 'not running'))
    row(dl, 'Active sessions', String(s.active_sessions))
    row(dl, 'Trust mode', s.dashboard?.trust_mode ?? '?')
    if (s.hermes_home) row(dl, 'Home', s.hermes_home)
    badge($('conn'), 'connected', 'ok')
  } catch (err) {
    dl.replaceChildren()
    row(dl, 'Error', err instanceof ApiError ? `${err.reason ?? err.status}: ${err.message}` : String(err))
    badge($('conn'), 'unreachable', 'bad')
  }
}

// Live events: reconnect with backoff; a refusal (44xx) is shown with the server's reason, not retried.
let socket = null
let attempt = 0
let retryTimer = null

function follow (channel) {
  clearTimeout(retryTimer)
  if (socket !== null) { socket.onclose = null; socket.close() }
  const list = $('events')
  const state = $('events-state')
  badge(state, 'connecting…', 'warn')
  const ws = new WebSocket(wsUrl('/api/events', { channel }))
  socket = ws
  ws.onopen = () => { attempt = 0; badge(state, `following ${channel}`, 'ok') }
  ws.onmessage = (ev) => {
    const li = document.createElement('li')
    let type = ''
    try { type = JSON.parse(ev.data)?.params?.type ?? '' } catch {}
    const t = document.createElement('span')
    t.className = 'type'
    t.textContent = type
    li.append(t, document.createTextNode(String(ev.data)))
    list.prepend(li)
    while (list.children.length > 200) list.lastChild.remove()
  }
  ws.onclose = (ev) => {
    if (ev.code >= 4400 && ev.code < 4500) {
      badge(state, `refused (${ev.code} ${ev.reason || 'no reason'})`, 'bad')
      return
    }
    const delay = Math.min(30000, 1000 * 2 ** attempt++)
    badge(state, `reconnecting in ${Math.round(delay / 1000)} s`, 'warn')
    retryTimer = setTimeout(() => follow(channel), delay)
  }
}

function start () {
  const input = $('channel')
  input.value = new URLSearchParams(location.search).get('channel') ?? localStorage.getItem('hermes.events.channel') ?? 'dashboard'
  $('channel-form').addEventListener('submit', (ev) => {
    ev.preventDefault()
    localStorage.setItem('hermes.events.channel', input.value)
    follow(input.value)
  })
  follow(input.value)
  refreshStatus()
  setInterval(refreshStatus, 5000)
}

start()
