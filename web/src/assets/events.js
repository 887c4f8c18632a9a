// The Events view: the live /api/events feed of this page's chat channel (what the chat program
// publishes: session.info, message deltas, tool activity), with its connection state in sight.

import { liveSocket } from './live.js'
import { summarizeEvent } from './text.js'
import { clock, el, fillList, socketStateView } from './ui.js'

const MAX_SHOWN = 200

export function createEvents ({ channel, showView }) {
  const state = document.getElementById('events-state')
  const list = document.getElementById('events')
  const session = document.getElementById('session')
  const notice = document.getElementById('events-notice')
  const tabBadge = document.getElementById('tab-events-dot')
  const view = document.getElementById('view-events')
  document.getElementById('events-channel').textContent = channel

  const socket = liveSocket({
    path: '/api/events',
    params: () => ({ channel }),
    feed: 'events',
    onMessage (data) {
      const { type, line, params } = summarizeEvent(data)
      if (type === 'session.info') {
        const p = params.payload ?? {}
        fillList(session, [['Title', p.title ?? '(none)'], ['Model', p.model], ['Provider', p.provider], ['Session', params.session_id]])
      }
      list.prepend(el('li', {}, el('time', { text: clock() }), el('span', { class: 'type', text: type }), el('span', { class: 'line', text: line })))
      while (list.children.length > MAX_SHOWN) list.lastChild.remove()
      if (view.hidden) tabBadge.hidden = false
    },
    onState: socketStateView(state, notice, {
      reconnect: () => socket.connect(),
      whenStopped: (info) => info.action === 'retry'
        ? { label: 'Try again', run: () => socket.connect() }
        : { label: 'See Connection', run: () => showView('connection') },
    }),
  })
  socket.connect()
  return { shown () { tabBadge.hidden = true } }
}
