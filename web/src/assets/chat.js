// The Chat view: xterm.js on /api/pty. The attach key is kept in localStorage, so a reload (or a
// dropped connection) re-attaches to the same chat and the server replays its recent output. The
// terminal is resized to its box, and the server told with the ESC[RESIZE:cols;rows] frame.

import { FitAddon } from '@xterm/addon-fit'
import { Terminal } from '@xterm/xterm'
import { chatKey, renewChatKey } from './keys.js'
import { liveSocket } from './live.js'
import { socketStateView } from './ui.js'

/**
 * @param {object} o
 * @param {string} o.channel events channel shared with the Events view
 * @param {(name: string) => void} o.showView
 */
export function createChat ({ channel, showView }) {
  const box = document.getElementById('terminal')
  const state = document.getElementById('chat-state')
  const size = document.getElementById('chat-size')
  const notice = document.getElementById('chat-notice')
  let started = false
  // Set on each open: the first output after it is the server's replay of the chat, which replaces
  // what the terminal shows. (A socket that is refused sends nothing and leaves the screen as it was.)
  let replayNext = false
  // Whether the chat has been told this terminal's size on the current connection.
  let sizeSent = false
  const visible = () => box.offsetParent !== null

  const term = new Terminal({
    cursorBlink: true,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: { background: '#0b0f13', foreground: '#e6e9ec', cursor: '#8fb4ff', selectionBackground: '#3d7eff66' },
  })
  const fit = new FitAddon()
  term.loadAddon(fit)

  const resizeFrame = () => `\x1b[RESIZE:${term.cols};${term.rows}]`
  const showSize = () => { size.textContent = `${term.cols}×${term.rows}` }

  const socket = liveSocket({
    path: '/api/pty',
    params: () => ({ channel, attach: chatKey() }),
    feed: 'chat',
    binary: true,
    onOpen (send) {
      replayNext = true
      // A hidden terminal has no size of its own yet (it would say 80x24): the chat keeps the size it
      // has until the view is shown and measured.
      sizeSent = visible()
      if (sizeSent) send(resizeFrame())
    },
    onMessage (data) {
      if (replayNext) {
        replayNext = false
        term.reset()
      }
      term.write(typeof data === 'string' ? data : new Uint8Array(data))
    },
    onState: socketStateView(state, notice, {
      reconnect: () => socket.connect(),
      whenStopped: (info) => action(info.action),
    }),
  })

  function action (name) {
    if (name === 'take-over') return { label: 'Use it here', run: () => socket.connect() }
    if (name === 'new-chat') return { label: 'Start a new chat', run: () => { renewChatKey(); socket.connect() } }
    if (name === 'reload') return { label: 'Reload the page', run: () => location.reload() }
    if (name === 'connection') return { label: 'See Connection', run: () => showView('connection') }
    return { label: 'Try again', run: () => socket.connect() }
  }

  term.onData((data) => { socket.send(data) })
  // Bytes that are not text (some mouse reports) go as a binary frame, unchanged.
  term.onBinary((data) => { socket.send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)) })
  term.onResize(() => {
    showSize()
    if (socket.send(resizeFrame())) sizeSent = true
  })

  let pending = 0
  const refit = () => {
    cancelAnimationFrame(pending)
    // Hidden (another view is shown): no box to measure; the next show fits again.
    pending = requestAnimationFrame(() => {
      if (!visible()) return
      fit.fit()
      if (!sizeSent && socket.send(resizeFrame())) sizeSent = true
    })
  }
  new ResizeObserver(refit).observe(box)

  document.getElementById('chat-new').addEventListener('click', () => {
    renewChatKey()
    socket.connect()
    term.focus()
  })

  function start () {
    if (started) return
    started = true
    term.open(box)
    if (visible()) fit.fit()
    showSize()
    socket.connect()
  }

  return {
    /**
     * Connects without showing the view: a page that already has a chat re-attaches at once, so its
     * events reach the Events view; a first chat is started only when Chat is opened.
     */
    start,
    /** Called each time the view is shown. */
    shown () {
      if (started) refit()
      else start()
      term.focus()
    },
    /** Lets shortcuts of the page through instead of sending them to the chat. */
    passKeys (isPageKey) {
      term.attachCustomKeyEventHandler((ev) => !isPageKey(ev))
    },
  }
}
