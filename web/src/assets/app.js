// The built-in page: seven views behind a tab bar (Chat, Status, Events, Actions, Connection,
// Sessions, Logs). The view is in the URL's hash, so a reload or a bookmark opens the same one; Alt+1..7 switch views from
// anywhere, the terminal included, and the arrow keys move along the tab bar.

import { createActions } from './actions.js'
import { createChat } from './chat.js'
import { createConnection } from './connection.js'
import { createEvents } from './events.js'
import { hasChatKey, newId } from './keys.js'
import { createLogs } from './logs.js'
import { createSessions } from './sessions.js'
import { createStatus } from './status.js'

const VIEWS = ['chat', 'status', 'events', 'actions', 'connection', 'sessions', 'logs']
const tabs = VIEWS.map((v) => document.getElementById(`tab-${v}`))
const views = {}

function showView (name, { focusTab = false } = {}) {
  if (!VIEWS.includes(name)) name = 'chat'
  for (const [i, v] of VIEWS.entries()) {
    const on = v === name
    tabs[i].setAttribute('aria-selected', String(on))
    tabs[i].tabIndex = on ? 0 : -1
    document.getElementById(`view-${v}`).hidden = !on
  }
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`)
  if (focusTab) tabs[VIEWS.indexOf(name)].focus()
  views[name]?.shown()
}

// One channel per page, as the Hermes front end does; the server moves a re-attached chat's events to it.
const channel = newId('dash')
views.status = createStatus({ showView })
views.events = createEvents({ channel, showView })
views.actions = createActions()
views.connection = createConnection()
views.sessions = createSessions()
views.logs = createLogs()
views.chat = createChat({ channel, showView })

const pageKey = (ev) => ev.type === 'keydown' && ev.altKey && !ev.ctrlKey && !ev.metaKey && /^Digit[1-7]$/.test(ev.code)
views.chat.passKeys(pageKey)
window.addEventListener('keydown', (ev) => {
  if (!pageKey(ev)) return
  ev.preventDefault()
  showView(VIEWS[Number(ev.code.slice(5)) - 1], { focusTab: VIEWS[Number(ev.code.slice(5)) - 1] !== 'chat' })
})

for (const [i, tab] of tabs.entries()) {
  tab.addEventListener('click', () => showView(VIEWS[i]))
  tab.addEventListener('keydown', (ev) => {
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: VIEWS.length - 1 }[ev.key]
    if (to === undefined) return
    ev.preventDefault()
    showView(VIEWS[(to + VIEWS.length) % VIEWS.length], { focusTab: true })
  })
}
window.addEventListener('hashchange', () => showView(location.hash.slice(1)))
showView(location.hash.slice(1))
if (hasChatKey()) views.chat.start()
