// The Sessions view: Hermes' conversations from /api/sessions (newest first, 20 at a time), a
// search over their messages (/api/sessions/search), and one session's messages. Both routes are
// answered by the dashboard itself from state.db, as the installed Hermes answers them.

import { api, ApiError } from './client.js'
import { el, hideNotice, showNotice, turns } from './ui.js'

const PAGE = 20

function when (seconds) {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toLocaleString() : ''
}

/** One message's text: content as stored, or the names of the tools it called. */
function messageText (m) {
  if (typeof m.content === 'string' && m.content !== '') return m.content
  if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) return `→ ${m.tool_calls.map((c) => c?.function?.name ?? '?').join(', ')}`
  return typeof m.content === 'object' && m.content !== null ? JSON.stringify(m.content) : ''
}

export function createSessions () {
  const list = document.getElementById('sessions-list')
  const more = document.getElementById('sessions-more')
  const form = document.getElementById('sessions-search')
  const input = document.getElementById('sessions-q')
  const count = document.getElementById('sessions-count')
  const notice = document.getElementById('sessions-notice')
  const detail = document.getElementById('session-messages')
  const title = document.getElementById('session-title')
  let offset = 0
  let loaded = false
  // The list and a search fill the same list; a session's messages fill the detail.
  const listTurn = turns()
  const detailTurn = turns()

  function failed (err, retry) {
    const text = err instanceof ApiError ? `${err.reason ?? `HTTP ${err.status}`}: ${err.message}` : 'The dashboard could not be reached.'
    showNotice(notice, { kind: 'failed', reason: err instanceof ApiError ? err.reason ?? '' : '', title: 'Sessions could not be loaded', text }, { label: 'Try again', run: retry })
  }

  function item (s, snippet) {
    const open = el('button', { type: 'button', class: 'link', text: s.title || s.preview || s.session_id || s.id, 'data-session': s.id ?? s.session_id })
    open.addEventListener('click', () => show(s.id ?? s.session_id, open.textContent))
    return el('li', { class: 'session' }, open,
      el('span', { class: 'dim', text: ` ${s.source ?? ''} · ${s.model ?? ''} · ${when(s.started_at ?? s.session_started)}${s.message_count !== undefined ? ` · ${s.message_count} messages` : ''}` }),
      snippet === undefined ? null : el('p', { class: 'snippet', text: snippet.replace(/>>>|<<</g, '') }))
  }

  async function page (reset) {
    if (reset) {
      offset = 0
      list.replaceChildren()
    }
    const current = listTurn()
    try {
      const r = await api('/api/sessions', { params: { limit: PAGE, offset } })
      if (!current()) return
      hideNotice(notice)
      list.append(...r.sessions.map((s) => item(s)))
      offset += r.sessions.length
      count.textContent = `${Math.min(offset, r.total)} of ${r.total}`
      more.hidden = offset >= r.total || r.sessions.length === 0
    } catch (err) {
      if (current()) failed(err, () => page(reset))
    }
  }

  async function search (q) {
    if (q.trim() === '') return page(true)
    const current = listTurn()
    try {
      const r = await api('/api/sessions/search', { params: { q } })
      if (!current()) return
      hideNotice(notice)
      list.replaceChildren(...r.results.map((hit) => item(hit, hit.snippet)))
      count.textContent = `${r.results.length} found`
      more.hidden = true
    } catch (err) {
      if (current()) failed(err, () => search(q))
    }
  }

  async function show (id, label) {
    title.textContent = label
    detail.replaceChildren(el('li', { class: 'dim', text: 'Loading…' }))
    const current = detailTurn()
    try {
      const r = await api(`/api/sessions/${encodeURIComponent(id)}/messages`)
      if (!current()) return
      detail.replaceChildren(...r.messages.map((m) => el('li', { class: `message ${m.role}`, 'data-role': m.role },
        el('span', { class: 'role', text: m.role }), el('span', { class: 'text', text: messageText(m) }))))
      if (r.messages.length === 0) detail.replaceChildren(el('li', { class: 'dim', text: 'No messages.' }))
    } catch (err) {
      if (!current()) return
      detail.replaceChildren()
      failed(err, () => show(id, label))
    }
  }

  more.addEventListener('click', () => page(false))
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    void search(input.value)
  })
  return {
    shown () {
      if (!loaded) void page(true)
      loaded = true
    },
  }
}
