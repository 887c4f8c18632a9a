// bench/bare-events.mjs — the bare limit for the /api/pub → /api/events figure: a plain `ws` server
// on the same paths that sends every text frame from /api/pub to every /api/events socket of the
// channel, one send() each. No Fastify, no trust hook, no hub: what the machine allows.
import { WebSocketServer } from 'ws'

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 16 * 1024 * 1024 })
const channels = new Map()
wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://x')
  const channel = url.searchParams.get('channel')
  if (url.pathname === '/api/events') {
    let set = channels.get(channel)
    if (set === undefined) channels.set(channel, (set = new Set()))
    set.add(ws)
    ws.on('close', () => set.delete(ws))
  } else if (url.pathname === '/api/pub') {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      for (const sub of channels.get(channel) ?? []) sub.send(data, { binary: false })
    })
  } else {
    ws.close(4404)
  }
})
wss.on('listening', () => process.stdout.write(`READY port=${wss.address().port}\n`))
process.on('SIGTERM', () => process.exit(0))
