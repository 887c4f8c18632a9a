// Small DOM helpers the views share.

export function el (tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue
    if (k === 'class') node.className = v
    else if (k === 'text') node.textContent = v
    else node.setAttribute(k, v === true ? '' : String(v))
  }
  node.append(...children.filter((c) => c !== null && c !== undefined))
  return node
}

export function setBadge (node, text, kind = '') {
  node.textContent = text
  node.className = `badge ${kind}`
}

/** dl rows from [label, value] pairs; a null value leaves the row out. */
export function fillList (dl, rows) {
  dl.replaceChildren(...rows.filter(([, v]) => v !== null && v !== undefined).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]))
}

/** Calls `tick(seconds left)` every second until `until`; returns the function that stops it. */
export function countdown (until, tick) {
  const step = () => tick(Math.max(0, Math.ceil((until - Date.now()) / 1000)))
  step()
  const id = setInterval(step, 1000)
  return () => clearInterval(id)
}

/**
 * Shows what happened and what to do: a title, the text (with the server's reason), and one button.
 * data-kind, data-reason and data-code (a close code, when there is one) are there for scripts.
 */
export function showNotice (node, info, action) {
  node.hidden = false
  node.dataset.kind = info.kind
  node.dataset.reason = info.reason
  if (info.code === undefined) delete node.dataset.code
  else node.dataset.code = String(info.code)
  const button = el('button', { type: 'button', text: action.label })
  button.addEventListener('click', action.run)
  node.replaceChildren(el('strong', { text: info.title }), el('p', { text: info.text }), button)
}

export function hideNotice (node) {
  node.hidden = true
  node.replaceChildren()
}

// The badge once the page has stopped trying, by the kind of close (closes.js).
const STOPPED = { superseded: 'open elsewhere', exited: 'ended', failed: 'stopped' }

/**
 * Shows a live socket's state (live.js) in its badge and notice: connecting, connected, a countdown
 * to the next attempt (with a button to skip it), or why the page stopped and the one thing to do.
 * Returns the onState function for liveSocket.
 */
export function socketStateView (badge, notice, { reconnect, whenStopped }) {
  let stopCountdown = () => {}
  return (s) => {
    stopCountdown()
    if (s.state === 'connecting') {
      setBadge(badge, 'connecting…', 'warn')
    } else if (s.state === 'open') {
      setBadge(badge, 'connected', 'ok')
      hideNotice(notice)
    } else if (s.state === 'waiting') {
      stopCountdown = countdown(s.until, (secs) => setBadge(badge, `reconnecting in ${secs} s`, 'warn'))
      showNotice(notice, s.info, { label: 'Reconnect now', run: reconnect })
    } else {
      const label = s.info.kind === 'refused' ? `refused: ${s.info.reason || 'no reason'}` : STOPPED[s.info.kind] ?? 'stopped'
      setBadge(badge, label, s.info.kind === 'superseded' ? 'warn' : 'bad')
      showNotice(notice, s.info, whenStopped(s.info))
    }
  }
}

export function clock (date = new Date()) {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
}

/**
 * For a view whose answers can arrive out of order (a filter changed while the last load is still
 * on its way): each load takes a turn, and only the newest turn's answer may be shown.
 */
export function turns () {
  let newest = 0
  return () => {
    const mine = ++newest
    return () => mine === newest
  }
}
