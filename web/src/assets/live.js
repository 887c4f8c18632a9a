// A WebSocket that comes back by itself after a drop (with backoff) and stops on a close that needs
// the person: a refusal, a superseded or ended chat. What a close means is decided in closes.js.
// When sockets keep failing before they open, the page cannot see why (browsers hide the handshake's
// status), so it asks the server with a plain request to the same path: a proxy that drops the
// upgrade, or a refusal, is then shown instead of an endless retry.

import { api, openSocket } from './client.js'
import { describeClose, describeProbe, retryDelay } from './closes.js'

// A socket that lived this long, or delivered anything, counts as a success: the backoff starts over.
const HEALTHY_MS = 3000

/**
 * @param {object} o
 * @param {string} o.path
 * @param {() => Record<string, string>} o.params read at every attempt (a chat key may change)
 * @param {'chat' | 'events'} o.feed
 * @param {boolean} [o.binary] deliver binary messages as ArrayBuffer
 * @param {(send: (data: string | ArrayBufferView) => void) => void} [o.onOpen]
 * @param {(data: string | ArrayBuffer) => void} o.onMessage
 * @param {(s: { state: 'connecting' | 'open' | 'waiting' | 'stopped', info?: import('./closes.js').CloseInfo, until?: number }) => void} o.onState
 */
export function liveSocket (o) {
  let ws = null
  let attempt = 0
  let timer = null
  let unopened = 0 // closes in a row that came before an open
  // The server said it was going away on purpose (1001 server_shutdown): until a socket opens again,
  // attempts that fail to connect are that restart, not a WebSocket that cannot get through.
  let restarting = null
  let probing = false

  function stop (info) {
    clearTimeout(timer)
    timer = null
    if (ws !== null) { const old = ws; ws = null; old.close(1000) }
    o.onState({ state: 'stopped', info })
  }

  function probe () {
    if (probing) return
    probing = true
    api(o.path, { params: o.params() }).then(() => null, describeProbe).then((info) => {
      probing = false
      if (info !== null && unopened > 0) stop(info)
    }, () => { probing = false })
  }

  function connect () {
    clearTimeout(timer)
    timer = null
    if (ws !== null) { const old = ws; ws = null; old.close(1000) }
    const sock = openSocket(o.path, o.params())
    if (o.binary) sock.binaryType = 'arraybuffer'
    ws = sock
    let openedAt = 0
    let delivered = false
    o.onState({ state: 'connecting' })
    sock.onopen = () => {
      if (ws !== sock) return
      openedAt = Date.now()
      restarting = null
      o.onState({ state: 'open' })
      o.onOpen?.((data) => sock.send(data))
    }
    sock.onmessage = (ev) => {
      if (ws !== sock) return
      delivered = true
      o.onMessage(ev.data)
    }
    sock.onclose = (ev) => {
      if (ws !== sock) return
      ws = null
      let info = describeClose(ev.code, ev.reason, o.feed, openedAt > 0)
      if (info.reason === 'server_shutdown') restarting = info
      else if (restarting !== null && openedAt === 0 && info.kind === 'retry') info = { ...restarting, code: ev.code }
      if (delivered || (openedAt > 0 && Date.now() - openedAt >= HEALTHY_MS)) attempt = 0
      unopened = openedAt > 0 ? 0 : unopened + 1
      if (info.kind !== 'retry') {
        o.onState({ state: 'stopped', info })
        return
      }
      const delay = retryDelay(attempt++)
      timer = setTimeout(connect, delay)
      o.onState({ state: 'waiting', info, until: Date.now() + delay })
      if (unopened >= 2) probe()
    }
  }

  return {
    /** Connects now: first time, after a stop, or to skip the wait. */
    connect () { attempt = 0; unopened = 0; connect() },
    /** Sends when open; false when there is no open socket (the input is dropped, not queued). */
    send (data) {
      if (ws === null || ws.readyState !== WebSocket.OPEN) return false
      ws.send(data)
      return true
    },
  }
}
