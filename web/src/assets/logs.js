// The Logs view: the last lines of Hermes' logs (/api/logs: agent, errors, gateway), with Hermes'
// own level filter and a text search, answered by the dashboard from HERMES_HOME/logs.

import { api, ApiError } from './client.js'
import { hideNotice, showNotice, turns } from './ui.js'

export function createLogs () {
  const form = document.getElementById('logs-form')
  const file = document.getElementById('logs-file')
  const level = document.getElementById('logs-level')
  const search = document.getElementById('logs-search')
  const out = document.getElementById('logs-lines')
  const notice = document.getElementById('logs-notice')
  const count = document.getElementById('logs-count')
  const turn = turns()

  async function load () {
    const params = { file: file.value, lines: 200 }
    if (level.value !== 'ALL') params.level = level.value
    if (search.value.trim() !== '') params.search = search.value.trim()
    const current = turn()
    try {
      const r = await api('/api/logs', { params })
      if (!current()) return
      hideNotice(notice)
      out.textContent = r.lines.join('')
      count.textContent = `${r.lines.length} lines`
      out.scrollTop = out.scrollHeight
    } catch (err) {
      if (!current()) return
      const text = err instanceof ApiError ? `${err.reason ?? `HTTP ${err.status}`}: ${err.message}` : 'The dashboard could not be reached.'
      showNotice(notice, { kind: 'failed', reason: err instanceof ApiError ? err.reason ?? '' : '', title: 'The log could not be read', text }, { label: 'Try again', run: load })
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    void load()
  })
  for (const node of [file, level]) node.addEventListener('change', () => void load())
  return { shown: load }
}
