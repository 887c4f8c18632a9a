// The Actions view: run `hermes update` or a gateway restart, then follow the log through
// /api/actions/{name}/status until the action ends, as Hermes' own update modal does.

import { api, ApiError } from './client.js'
import { el, setBadge } from './ui.js'

const POLL_MS = 1000
const LINES = 400

const ACTIONS = [
  { name: 'hermes-update', start: '/api/hermes/update', label: 'Update Hermes', help: 'Runs hermes update in the background and shows its log as it goes.' },
  { name: 'gateway-restart', start: '/api/gateway/restart', label: 'Restart gateway', help: 'Runs hermes gateway restart: the messaging gateway stops and starts again.' },
]

function card (spec) {
  const button = el('button', { type: 'button', text: spec.label })
  const badge = el('span', { class: 'badge', role: 'status', text: 'idle' })
  const log = el('pre', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': `${spec.label} log`, tabindex: 0 })
  const root = el('article', { class: 'action', 'data-action': spec.name },
    el('header', {}, el('h3', { text: spec.label }), badge),
    el('p', { class: 'help', text: spec.help }),
    button, log)
  return { root, button, badge, log }
}

function showLog (log, lines) {
  const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4
  log.textContent = lines.join('\n')
  if (atEnd) log.scrollTop = log.scrollHeight
}

/** The badge of a run that is over. No exit code: the dashboard restarted since (the log remains). */
function ended (status) {
  if (status.exit_code === null) return ['ended', '']
  return status.exit_code === 0 ? ['finished: exit 0', 'ok'] : [`failed: exit ${status.exit_code}`, 'bad']
}

export function createActions () {
  const host = document.getElementById('actions')
  for (const spec of ACTIONS) {
    const c = card(spec)
    host.append(c.root)
    let following = false

    async function follow () {
      if (following) return
      following = true
      c.button.disabled = true
      setBadge(c.badge, 'running…', 'warn')
      let failures = 0
      try {
        for (;;) {
          let status
          try {
            status = await api(`/api/actions/${spec.name}/status`, { params: { lines: String(LINES) } })
            failures = 0
          } catch (err) {
            // A proxy hiccup or a restarting dashboard: keep following; a refusal ends it.
            if (err instanceof ApiError && err.status < 500) { setBadge(c.badge, `refused: ${err.reason ?? err.status}`, 'bad'); return }
            setBadge(c.badge, `running… (no answer ×${++failures})`, 'warn')
            await new Promise((r) => setTimeout(r, POLL_MS * Math.min(8, failures)))
            continue
          }
          showLog(c.log, status.lines)
          if (!status.running) { setBadge(c.badge, ...ended(status)); return }
          await new Promise((r) => setTimeout(r, POLL_MS))
        }
      } finally {
        following = false
        c.button.disabled = false
      }
    }

    c.button.addEventListener('click', async () => {
      c.button.disabled = true
      try {
        await api(spec.start, { method: 'POST' })
      } catch (err) {
        // Already running (from another tab, or with other arguments): follow that run.
        if (!(err instanceof ApiError && err.reason === 'action_busy')) {
          setBadge(c.badge, err instanceof ApiError ? `refused: ${err.reason ?? err.status}` : 'unreachable', 'bad')
          c.log.textContent = err instanceof ApiError ? `${err.message}${err.hint ? `\n${err.hint}` : ''}` : String(err)
          c.button.disabled = false
          return
        }
      }
      await follow()
    })

    // What the last run left (or one still running, from another tab).
    api(`/api/actions/${spec.name}/status`, { params: { lines: String(LINES) } }).then((s) => {
      if (s.running) { follow(); return }
      if (s.lines.length > 0) showLog(c.log, s.lines)
      if (s.exit_code !== null) {
        const [text, kind] = ended(s)
        setBadge(c.badge, `last run ${text}`, kind)
      }
    }, () => {})
  }
  return { shown () {} }
}
