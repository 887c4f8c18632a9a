// test/chat-proxies.test.ts
// Chat through real reverse proxies, the way a browser behind them uses it: /api/pty with the token
// in the URL, typing and reading the echo, resizing, the chat's session.info arriving on
// /api/events for the same channel, re-attaching after a drop (replay), a second tab (4409), and
// /api/ws. Behind: nginx on this host (default loopback mode), nginx on another host (a network
// namespace; proxy mode, the dashboard on a non-loopback address), nginx with TLS and Basic auth,
// and Caddy on this host.

import { randomUUID } from 'node:crypto'
import t from 'tap'
import { WebSocket, type ClientOptions } from 'ws'
import { caddyProxyConfig, startCaddy } from './helpers/caddy.js'
import { nginxProxySite, startNginx, startTlsBasicNginx } from './helpers/nginx.js'
import { freePort } from './helpers/proc.js'
import type { TT } from './helpers/proxy-checks.js'
import { eventually, processesWith, PtyClient, withTimeout } from './helpers/pty-client.js'
import { requireProgram, requireTestNet } from './helpers/requirements.js'
import { startChatServer, TEST_TOKEN } from './helpers/server.js'
import { TLS_NAME } from './helpers/tls.js'

/** Messages of a plain WebSocket as a bounded queue (the events feed, the gateway). */
function textSocket (url: string, options: ClientOptions): { ws: WebSocket, next: (ms?: number) => Promise<string> } {
  const ws = new WebSocket(url, { handshakeTimeout: 10_000, ...options })
  const queue: string[] = []
  const waiters: Array<(s: string) => void> = []
  ws.on('error', () => {})
  ws.on('message', (d: Buffer) => {
    const w = waiters.shift()
    if (w !== undefined) w(d.toString('utf8'))
    else queue.push(d.toString('utf8'))
  })
  return {
    ws,
    next: (ms = 10_000) => {
      const q = queue.shift()
      if (q !== undefined) return Promise.resolve(q)
      return withTimeout(new Promise<string>((resolve) => waiters.push(resolve)), ms, `message on ${url.split('?')[0] ?? ''}`)
    },
  }
}

/** Everything a Chat tab does, through the proxy at `wsBase`. */
async function checkChat (t: TT, wsBase: string, marker: string, options: ClientOptions = {}): Promise<void> {
  const channel = `chat-${randomUUID()}`
  const attach = randomUUID()
  const q = (extra: Record<string, string>): string => new URLSearchParams({ token: TEST_TOKEN, ...extra }).toString()

  const events = textSocket(`${wsBase}/api/events?${q({ channel })}`, options)
  await withTimeout(new Promise((resolve, reject) => { events.ws.once('open', resolve); events.ws.once('close', (c, r) => reject(new Error(`events closed ${c} ${r.toString()}`))) }), 10_000, 'events open')

  const chat = new PtyClient(`${wsBase}/api/pty?${q({ channel, attach })}`, options)
  await chat.waitFor('hermes> ')
  t.pass('the chat\'s prompt arrived through the proxy')
  const info = JSON.parse(await events.next()) as { params: { type: string, payload: { title: string } } }
  t.equal(info.params.type, 'session.info', 'session.info from the chat arrived on /api/events for the same channel')
  t.equal(info.params.payload.title, 'Fixture chat')

  chat.type('through the proxy')
  await chat.waitFor('you said: through the proxy')
  t.pass('typed input came back')
  t.match(await events.next(), /"message.delta".*you said: through the proxy/, 'message.delta on the events feed')
  chat.resize(101, 31)
  await chat.waitFor('[size 101x31]')
  t.pass('the terminal was resized')

  // The connection drops (a tab reload); the same attach key picks the chat up again.
  await chat.close()
  const again = new PtyClient(`${wsBase}/api/pty?${q({ channel, attach })}`, options)
  await again.waitFor('you said: through the proxy')
  t.pass('re-attaching replays the chat')
  t.equal(processesWith(marker).length, 1, 'the same chat, not a new one')

  const tab2 = new PtyClient(`${wsBase}/api/pty?${q({ channel, attach })}`, options)
  t.same(await withTimeout(again.closed, 10_000, 'supersede'), { code: 4409, reason: 'superseded' }, 'a second tab supersedes the first: 4409')
  await tab2.waitFor('you said: through the proxy')
  tab2.type('/exit')
  t.same(await withTimeout(tab2.closed, 10_000, 'exit'), { code: 4410, reason: 'process_exited code=0' }, 'the chat\'s exit: 4410')

  const gw = textSocket(`${wsBase}/api/ws?${q({})}`, options)
  t.match(await gw.next(), /"type":"gateway.ready"/, '/api/ws: gateway.ready through the proxy')
  gw.ws.send('{"jsonrpc":"2.0","id":"r1","method":"session.create","params":{}}')
  t.match(await gw.next(), /"id":"r1","result"/, '/api/ws: a request answered')
  gw.ws.close()
  events.ws.close()
  t.ok(await eventually(() => processesWith(marker).length === 0), 'nothing left running')
}

t.test('nginx on this host, default loopback mode', async (t) => {
  if (!requireProgram(t, 'nginx', 'apt-get install nginx')) return
  const { server, marker } = await startChatServer(t, {})
  const port = await freePort()
  await startNginx(t, { site: nginxProxySite({ listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${server.port}` }), host: '127.0.0.1', port })
  await checkChat(t, `ws://127.0.0.1:${port}`, marker)
})

t.test('nginx on another host, proxy mode, the dashboard on a non-loopback address', async (t) => {
  if (!requireProgram(t, 'nginx', 'apt-get install nginx')) return
  const net = await requireTestNet(t)
  if (net === null) return
  const proxyAddr = net.addrs[0] as string
  // The chat's own /api/pub connection comes from the dashboard's address itself (not loopback).
  const { server, marker } = await startChatServer(t, { host: net.hostAddr, trust: 'proxy', trustedProxies: proxyAddr })
  const port = 8080
  await startNginx(t, { site: nginxProxySite({ listen: `${proxyAddr}:${port}`, upstream: `${net.hostAddr}:${server.port}` }), host: proxyAddr, port, netns: net.ns })
  await checkChat(t, `ws://${proxyAddr}:${port}`, marker, { localAddress: net.hostAddr })
})

t.test('nginx with TLS and Basic auth', async (t) => {
  if (!requireProgram(t, 'nginx', 'apt-get install nginx')) return
  if (!requireProgram(t, 'openssl', 'apt-get install openssl')) return
  const { server, marker } = await startChatServer(t, { trust: 'loopback', trustedProxies: 'loopback', allowedHosts: TLS_NAME })
  const port = await startTlsBasicNginx(t, server.port, 'hermes', 'correct horse battery')
  const headers = { Host: `${TLS_NAME}:${port}`, Authorization: `Basic ${Buffer.from('hermes:correct horse battery').toString('base64')}` }
  await checkChat(t, `wss://127.0.0.1:${port}`, marker, { headers, rejectUnauthorized: false })
  const noBasic = new PtyClient(`wss://127.0.0.1:${port}/api/pty?token=${TEST_TOKEN}`, { headers: { Host: headers.Host }, rejectUnauthorized: false })
  t.notOk(await noBasic.opened, 'without Basic credentials nginx refuses the chat socket')
})

t.test('Caddy on this host', async (t) => {
  if (!requireProgram(t, 'caddy', 'apt-get install caddy')) return
  const name = 'hermes.caddy.test'
  const { server, marker } = await startChatServer(t, { trust: 'loopback', trustedProxies: 'loopback', allowedHosts: name })
  const port = await freePort()
  await startCaddy(t, { caddyfile: caddyProxyConfig({ site: `http://${name}:${port}`, bind: '127.0.0.1', upstream: `127.0.0.1:${server.port}` }), host: '127.0.0.1', port })
  await checkChat(t, `ws://127.0.0.1:${port}`, marker, { headers: { Host: `${name}:${port}` } })
})
