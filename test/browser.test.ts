// test/browser.test.ts
// The built-in page in a real Chromium, with no proxy: the whole flow of page-flow.ts in each trust
// mode (loopback, proxy, token, insecure); what a real browser sends (Origin, Sec-Fetch-Site, the
// cookie alone); a refused host name; a dashboard restarted under an open page with a new token;
// a chat taken over by a second tab, and one whose program cannot start; the keyboard; 360 px.

// Functions given to page.evaluate and waitForFunction run in the browser: they need the DOM types.
/// <reference lib="dom" />

import { randomUUID } from 'node:crypto'
import { unlinkSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { CHROMIUM, launchChromium, screenshot, watchErrors } from './helpers/browser.js'
import { createFixtureHome } from './helpers/home.js'
import { endChat, exercisePage, openView, waitTerminal, waitText } from './helpers/page-flow.js'
import { localPeer } from './helpers/peer.js'
import { eventually, processesWith } from './helpers/pty-client.js'
import { requireProgram } from './helpers/requirements.js'
import { chatFixture, startChatServer, startServer, TEST_TOKEN, type Running } from './helpers/server.js'

const peer = localPeer()
const VIEWPORT = { width: 1280, height: 800 }
const HOME = { sessions: { active: 2, ended: 0, stale: 0 }, gateway: { pid: process.pid, state: 'running' } }

async function publish (s: Running, channel: string, data: string): Promise<void> {
  const pub = peer.ws({ url: `ws://127.0.0.1:${s.port}/api/pub?channel=${channel}&token=${TEST_TOKEN}` })
  if ((await pub.opened()).event !== 'open') throw new Error('publisher refused')
  pub.send(data)
  pub.close()
  await pub.closed()
}

const MODES = [
  { mode: 'loopback', options: {}, connection: /came from 127\.0\.0\.1 \(this host\)/ },
  // Proxy mode admits loopback too: someone on the dashboard's own machine, without the proxy.
  { mode: 'proxy', options: { trust: 'proxy', trustedProxies: '192.0.2.10' }, connection: /came from 127\.0\.0\.1 \(this host\), which is not a trusted proxy/ },
  { mode: 'token', options: { trust: 'token' }, connection: /came from 127\.0\.0\.1 \(this host\)[\s\S]*cookie \(valid\)/ },
  { mode: 'insecure', options: { trust: 'insecure' }, connection: /came from 127\.0\.0\.1 \(this host\)/ },
] as const

for (const m of MODES) {
  t.test(`no proxy, ${m.mode} mode: the whole page`, async (t) => {
    if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
    const { server, marker, home } = await startChatServer(t, m.options, HOME)
    const browser = await launchChromium(t)
    const page = await browser.newPage({ viewport: VIEWPORT })
    const errors = watchErrors(page)
    const response = await page.goto(`${server.url}/`)
    if (m.mode === 'token') {
      // The token once, on the small page token mode shows; then the page runs from its cookie.
      t.equal(response?.status(), 401, 'token mode: no token, no page')
      t.equal(await page.locator('[data-reason]').getAttribute('data-reason'), 'token_missing', 'the token page says why')
      await screenshot(page, 'token-page')
      await page.fill('#token', TEST_TOKEN)
      await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')])
      t.match(errors.join('\n'), /status of 401/, 'Chromium logged the token page\'s 401')
      errors.splice(0) // expected: from here on the page must log nothing
    }
    await exercisePage(t, page, { name: `direct-${m.mode}`, marker, mode: m.mode, connection: m.connection, errors })
    await openView(page, 'status')
    const status = await page.locator('#status').innerText()
    t.match(status, new RegExp(`Gateway\\s+running, pid ${process.pid}`), 'gateway state from gateway_state.json, pid from gateway.pid')
    t.match(status, /Active sessions\s+2/, 'active sessions from state.db')
    t.match(status, new RegExp(`Home\\s+${home}`), 'local details: the page\'s requests are authenticated')
    await endChat(t, page, { name: `direct-${m.mode}`, marker })
  })
}

t.test('what a real browser sends: Sec-Fetch-Site, the cookie alone on REST and on a WebSocket', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const { server, home } = await startChatServer(t, {}, HOME)
  const browser = await launchChromium(t)
  const page = await browser.newPage()
  const errors = watchErrors(page)
  await page.goto(`${server.url}/#status`)
  await waitText(page, '#conn', /^connected$/)
  await waitText(page, '#status', new RegExp(`Gateway\\s+running, pid ${process.pid}`))
  unlinkSync(join(home, 'gateway.pid'))
  await waitText(page, '#status', /Gateway\s+not running/, 15_000)
  t.pass('the status view refreshes by itself: the gateway\'s pid file went, and it says so')
  const seen = await page.evaluate(async () => {
    const r = await fetch('/api/trust/explain', { credentials: 'same-origin' })
    return await r.json() as { sec_fetch_site: string | null, credentials: { cookie: string } }
  })
  t.equal(seen.sec_fetch_site, 'same-origin', 'Chromium sends Sec-Fetch-Site: same-origin')
  t.equal(seen.credentials.cookie, 'valid', 'the page\'s cookie came back')
  const poller = await page.evaluate(async () => (await fetch('/api/actions/hermes-update/status?lines=5')).status)
  t.equal(poller, 200, 'the update poller passes on the cookie, without the header (as Hermes\' modal polls)')
  // A refused socket is accepted and then closed, so "open" proves nothing: it must receive a publish.
  const opened = await page.evaluate(async (host) => await new Promise<string>((resolve) => {
    const ws = new WebSocket(`ws://${host}/api/events?channel=cookie-only`)
    const w = globalThis as unknown as { cookieSocket: Promise<string> }
    w.cookieSocket = new Promise((done) => {
      ws.onmessage = (e) => { done(`message ${String(e.data)}`); ws.close() }
      ws.onclose = (e) => done(`closed ${e.code} ${e.reason}`)
    })
    ws.onopen = () => resolve('open')
    ws.onerror = () => resolve('error')
  }), new URL(server.url).host)
  t.equal(opened, 'open')
  await publish(server, 'cookie-only', 'ping-from-test')
  const outcome = await page.evaluate(async () => await (globalThis as unknown as { cookieSocket: Promise<string> }).cookieSocket)
  t.equal(outcome, 'message ping-from-test', 'a WebSocket from the page with only the cookie passes: the browser\'s Origin is same-origin')
  t.same(errors, [], 'no console errors')
})

t.test('a refused host name shows its reason, not a blank page', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  const browser = await launchChromium(t, ['--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1'])
  const page = await browser.newPage()
  const response = await page.goto(`http://rebind.attacker.test:${s.port}/`)
  t.equal(response?.status(), 403)
  t.equal(await page.locator('[data-reason]').getAttribute('data-reason'), 'host_not_allowed')
  t.match(await page.locator('main').innerText(), /--allowed-hosts/, 'and what would change it')
  t.notMatch(await page.content(), new RegExp(TEST_TOKEN), 'no token on the refusal page')
  await screenshot(page, 'refused-host')
})

t.test('the dashboard restarts under an open page with a new token: the page says so, and a reload recovers', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const { server, marker } = await startChatServer(t, {}, HOME)
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: VIEWPORT })
  const errors = watchErrors(page)
  await page.goto(`${server.url}/#chat`)
  await waitTerminal(page, 'hermes> ')

  await server.close()
  await waitText(page, '#chat-state', /^reconnecting in \d+ s$/)
  await waitText(page, '#events-state', /^reconnecting in \d+ s$/)
  t.pass('chat and events both show that they are reconnecting')
  // A wait of 3 s or more comes after two attempts that found no server (0.5 s, 1 s, 2 s, ±20 %):
  // the page also asked the server why, and still knows it is a restart.
  await waitText(page, '#chat-state', /^reconnecting in [3-9] s$/)
  t.match(await page.locator('#chat-notice').innerText(), /The dashboard is restarting/, 'the server\'s 1001 server_shutdown, in words, through the failed attempts while it is away')
  t.ok(await eventually(() => processesWith(marker).length === 0), 'the old server ended its chat')

  const newToken = `new-${randomUUID()}`
  const home = createFixtureHome()
  t.teardown(home.remove)
  await startServer(t, { hermesHome: home.dir, chatCommand: chatFixture(marker), port: server.port, token: newToken })
  // The page reconnects by itself, and the new server refuses its old token: no endless spinner.
  const notice = await waitText(page, '#chat-notice', /Not signed in/, 30_000)
  t.match(notice, /token_invalid/, 'the chat says the server refused the token, with the server\'s reason')
  t.equal(await page.locator('#chat-notice').getAttribute('data-kind'), 'refused')
  t.equal(await page.locator('#chat-notice').getAttribute('data-code'), '4401', 'from close code 4401')
  t.match(await waitText(page, '#conn', /refused/, 10_000), /refused: token_invalid/, 'the header says it too')
  t.match(await waitText(page, '#events-state', /refused/), /refused: token_invalid/, 'and the events feed')
  await screenshot(page, 'restarted-token-invalid')

  await page.locator('#chat-notice button').click() // "Reload the page"
  await waitText(page, '#chat-state', /^connected$/)
  await waitTerminal(page, 'hermes> ')
  await waitText(page, '#conn', /^connected$/)
  t.pass('after the reload the page has the new token and a chat again')
  // A refused WebSocket can log a failed handshake, and a poll while no server listened is refused
  // by the kernel. A request that reached the old server on a kept-alive connection while it was
  // closing is answered 503 (each answer in the drain ends its connection, which makes that rare, but
  // a request can cross the end on the wire). Nothing else may have gone wrong: a reset would be a
  // request the old server dropped.
  t.same(errors.filter((e) => !/WebSocket|net::ERR_CONNECTION_REFUSED|status of 503 \(Service Unavailable\)/.test(e)), [], 'no other console errors')
})

t.test('a second tab takes the chat over; the first can take it back', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const { server, marker } = await startChatServer(t, {}, HOME)
  const browser = await launchChromium(t)
  const context = await browser.newContext({ viewport: VIEWPORT }) // one profile: one attach key
  const first = await context.newPage()
  await first.goto(`${server.url}/#chat`)
  await waitTerminal(first, 'hermes> ')
  await first.click('#terminal')
  await first.keyboard.type('typed in the first tab')
  await first.keyboard.press('Enter')
  await waitTerminal(first, 'you said: typed in the first tab')

  const second = await context.newPage()
  await second.goto(`${server.url}/#chat`)
  await waitTerminal(second, 'you said: typed in the first tab')
  t.pass('the second tab shows the same chat')
  const notice = await waitText(first, '#chat-notice', /open in another tab/)
  t.match(notice, /Use it here/, 'the first tab says what happened and offers to take it back')
  t.equal(await first.locator('#chat-notice').getAttribute('data-kind'), 'superseded')
  t.equal(await first.locator('#chat-notice').getAttribute('data-code'), '4409', 'from close code 4409')
  t.match(await first.locator('#chat-state').innerText(), /open elsewhere/)
  await screenshot(first, 'chat-superseded')
  t.equal(processesWith(marker).length, 1, 'one chat for both tabs')

  await first.locator('#chat-notice button').click()
  await waitText(first, '#chat-state', /^connected$/)
  await waitText(second, '#chat-notice', /open in another tab/)
  t.pass('taking it back moves the chat to the first tab again')
})

t.test('a chat program that cannot start: the page shows the server\'s reason', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const { server } = await startChatServer(t, { chatCommand: 'hermes-chat-that-does-not-exist --tui' }, HOME)
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: VIEWPORT })
  const errors = watchErrors(page)
  await page.goto(`${server.url}/#chat`)
  const notice = await waitText(page, '#chat-notice', /The chat could not run/)
  t.match(notice, /chat_unavailable/, 'the reason the server sent')
  t.match(notice, /--chat-command/, 'and what to check')
  t.equal(await page.locator('#chat-notice').getAttribute('data-kind'), 'failed')
  t.equal(await page.locator('#chat-notice').getAttribute('data-code'), '1011', 'from close code 1011')
  await waitTerminal(page, 'hermes-chat-that-does-not-exist')
  t.pass('the server\'s red line is in the terminal too')
  t.match(await page.locator('#chat-state').innerText(), /stopped/, 'no reconnect loop')
  await screenshot(page, 'chat-unavailable')
  t.same(errors, [], 'no console errors')
})

t.test('keyboard only, and a 360 px wide screen', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const { server } = await startChatServer(t, {}, HOME)
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: { width: 360, height: 740 } })
  const errors = watchErrors(page)
  await page.goto(`${server.url}/`)
  await waitTerminal(page, 'hermes> ')

  // From inside the terminal, Alt+2 opens Status; the arrow keys walk the tab bar.
  await page.click('#terminal')
  const screen = (): Promise<string> => page.evaluate(() => document.querySelector('#terminal .xterm-rows')?.textContent ?? '')
  await page.keyboard.press('Alt+2')
  await page.locator('#view-status').waitFor({ state: 'visible' })
  t.equal(await page.evaluate(() => document.activeElement?.id), 'tab-status', 'Alt+2 from the terminal: Status, focus on its tab')
  await page.keyboard.press('Alt+1')
  await page.keyboard.type('x')
  await waitTerminal(page, 'hermes> x')
  t.match(await screen(), /hermes> x[\s\u00a0]*$/, 'the last line is the prompt and the x: Alt+2 and Alt+1 did not reach the chat (they would have echoed digits)')
  await page.keyboard.press('Alt+2')
  await page.keyboard.press('ArrowRight')
  t.equal(await page.evaluate(() => document.activeElement?.id), 'tab-events', 'ArrowRight: Events')
  await page.keyboard.press('End')
  t.equal(await page.evaluate(() => document.activeElement?.id), 'tab-logs', 'End: Logs')
  t.ok(await page.locator('#view-logs').isVisible(), 'its view is shown')
  await page.keyboard.press('Alt+4')
  await page.keyboard.press('Tab')
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Update Hermes', 'Tab from the Actions tab reaches its first button')
  await page.keyboard.press('Alt+1')
  await page.locator('#view-chat').waitFor({ state: 'visible' })
  t.equal(await page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea')), true, 'Alt+1: back in the terminal')

  for (const view of ['chat', 'status', 'events', 'actions', 'connection', 'sessions', 'logs'] as const) {
    await openView(page, view)
    if (view === 'connection') await waitText(page, '#conn-summary', /runs in/)
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth])
    t.ok((widths[0] ?? 0) <= (widths[1] ?? 0), `${view} at 360 px: no sideways scrolling (${String(widths)})`)
    await screenshot(page, `narrow-${view}`)
  }
  const size = (await page.locator('#chat-size').innerText()).split('×').map(Number)
  t.ok((size[0] ?? 0) >= 30, `the terminal still has ${size[0]} columns at 360 px`)
  t.same(errors, [], 'no console errors')
})

t.test('a failing update: the log to its end, and the exit code', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const home = createFixtureHome()
  t.teardown(home.remove)
  const server = await startServer(t, { hermesHome: home.dir }, { HERMES_FIXTURE_EXIT: '3' })
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: VIEWPORT })
  const errors = watchErrors(page)
  await page.goto(`${server.url}/#actions`)
  const update = page.locator('[data-action=hermes-update]')
  await update.locator('button').click()
  t.match(await waitText(page, '[data-action=hermes-update] [role=status]', /^failed/, 30_000), /^failed: exit 3$/, 'the badge says it failed, with the code')
  t.match(await update.locator('pre').innerText(), /Update failed \(3\)\.\s*$/, 'the log, to its last line')
  t.equal(await update.locator('button').isDisabled(), false, 'and the button can run it again')
  await page.reload()
  t.match(await waitText(page, '[data-action=hermes-update] [role=status]', /last run/), /^last run failed: exit 3$/, 'a reload shows how the last run ended')
  await screenshot(page, 'update-failed')
  t.same(errors, [], 'no console errors')
})
