// The Status view: Hermes version, gateway state and active sessions, refreshed every few seconds.
// It also drives the header's badge. /api/status answers without a credential (with less detail), so
// whether this page is still signed in (the dashboard may have restarted with a new token) is asked
// of /api/trust/explain: a refusal shows at once, with the server's reason and hint.

import { api, ApiError } from './client.js'
import { gatewayText } from './text.js'
import { clock, fillList, hideNotice, setBadge, showNotice } from './ui.js'

const EVERY_MS = 5000

export function createStatus ({ showView }) {
  const dl = document.getElementById('status')
  const badge = document.getElementById('conn')
  const notice = document.getElementById('status-notice')
  const updated = document.getElementById('status-updated')
  let timer = null
  let busy = false

  function refused (status, reason, detail, hint) {
    setBadge(badge, `refused: ${reason}`, 'bad')
    showNotice(notice, { kind: 'refused', reason, title: `The dashboard refuses this page (${status})`, text: `${detail}${hint ? ` ${hint}` : ''}` },
      status === 401 ? { label: 'Reload the page', run: () => location.reload() } : { label: 'See Connection', run: () => showView('connection') })
  }

  async function refresh () {
    if (busy) return
    busy = true
    clearTimeout(timer)
    try {
      const [s, x] = await Promise.all([api('/api/status'), api('/api/trust/explain')])
      fillList(dl, [
        ['Hermes', `${s.version}${s.release_date ? ` (${s.release_date})` : ''}`],
        ['Gateway', gatewayText(s)],
        ['Active sessions', String(s.active_sessions)],
        ['Trust mode', s.dashboard?.trust_mode ?? '?'],
        ['Home', s.hermes_home ?? null],
        ['Dashboard', s.dashboard ? `${s.dashboard.name} ${s.dashboard.version}` : null],
      ])
      updated.textContent = `updated ${clock()}`
      const v = x.verdicts.protected_rest
      if (v.allow) {
        setBadge(badge, 'connected', 'ok')
        hideNotice(notice)
      } else {
        refused(v.status, v.reason, v.detail, v.hint)
      }
    } catch (err) {
      if (err instanceof ApiError) {
        refused(err.status, err.reason ?? `http_${err.status}`, err.message, err.hint)
      } else {
        setBadge(badge, 'unreachable', 'bad')
        showNotice(notice, { kind: 'retry', reason: '', title: 'The dashboard cannot be reached', text: 'The server or the proxy in front of it did not answer. The page keeps trying.' }, { label: 'Try now', run: refresh })
      }
    }
    busy = false
    timer = setTimeout(refresh, EVERY_MS)
  }
  refresh()
  return { shown: refresh }
}
