// The Connection view: how the dashboard sees this browser's request (/api/trust/explain), in plain
// words: which proxy it came through, which client address, which mode, and what would be refused.

import { api, ApiError } from './client.js'
import { connectionRows } from './text.js'
import { el, fillList } from './ui.js'

export function createConnection () {
  const summary = document.getElementById('conn-summary')
  const dl = document.getElementById('conn-details')
  const problems = document.getElementById('conn-problems')
  const raw = document.getElementById('conn-raw')

  async function refresh () {
    try {
      const x = await api('/api/trust/explain')
      summary.replaceChildren(...x.summary.map((s) => el('li', { text: s })))
      fillList(dl, connectionRows(x))
      const refused = [x.verdicts.protected_rest, x.verdicts.websocket].filter((v) => !v.allow)
      const items = [...x.problems.map((p) => `${p.reason}: ${p.detail} ${p.hint ?? ''}`), ...refused.map((v) => `${v.reason}: ${v.detail} ${v.hint ?? ''}`)]
      problems.replaceChildren(...[...new Set(items)].map((s) => el('li', { text: s.trim() })))
      problems.hidden = items.length === 0
      raw.textContent = JSON.stringify(x, null, 2)
    } catch (err) {
      summary.replaceChildren(el('li', { class: 'error', text: err instanceof ApiError ? `${err.reason ?? err.status}: ${err.message}${err.hint ? ` ${err.hint}` : ''}` : 'The dashboard cannot be reached.' }))
      dl.replaceChildren()
    }
  }
  document.getElementById('conn-refresh').addEventListener('click', refresh)
  return { shown: refresh }
}
