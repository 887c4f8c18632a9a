// test/browser.test.ts
// The built-in page in a real Chromium: status and the live events feed work with the token the page
// was given, a real browser's Origin and Sec-Fetch-Site satisfy the same-origin rules, token mode's
// page takes the token once, and a refused host name shows its reason instead of a blank page.

import t from 'tap'
import { createFixtureHome } from './helpers/home.js'
import { launchChromium, screenshot, watchErrors, CHROMIUM } from './helpers/browser.js'
import { localPeer } from './helpers/peer.js'
import { requireProgram } from './helpers/requirements.js'
import { startServer, TEST_TOKEN, type Running } from './helpers/server.js'

const peer = localPeer()

async function publish (s: Running, channel: string, data: string): Promise<void> {
  const pub = peer.ws({ url: `ws://127.0.0.1:${s.port}/api/pub?channel=${channel}&token=${TEST_TOKEN}` })
  if ((await pub.opened()).event !== 'open') throw new Error('publisher refused')
  pub.send(data)
  pub.close()
  await pub.closed()
}

t.test('loopback mode: status, live events, and what the browser sends', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const home = createFixtureHome({ sessions: { active: 2, ended: 0, stale: 0 }, gateway: { pid: process.pid, state: 'running' } })
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir })
  const browser = await launchChromium(t)
  const page = await browser.newPage()
  const errors = watchErrors(page)
  await page.goto(`${s.url}/?channel=browser-1`)
  await page.getByRole('status').filter({ hasText: 'connected' }).first().waitFor({ timeout: 10_000 })
  const status = await page.locator('#status').innerText()
  t.match(status, new RegExp(`Gateway\\s+running, pid ${process.pid}`), 'gateway state from gateway_state.json, pid from gateway.pid')
  t.match(status, /Active sessions\s+2/, 'active sessions from state.db')
  t.match(status, new RegExp(`Home\\s+${home.dir}`), 'local details: the page\'s requests are authenticated')
  await page.locator('#events-state').filter({ hasText: 'following browser-1' }).waitFor({ timeout: 10_000 })

  const event = JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { type: 'session.info', session_id: 's1', payload: { title: 'From the test' } } })
  await publish(s, 'browser-1', event)
  await page.locator('#events li').filter({ hasText: 'From the test' }).waitFor({ timeout: 10_000 })
  t.equal(await page.locator('#events li .type').first().innerText(), 'session.info', 'the event reached the page')
  await screenshot(page, 'builtin-page-loopback')

  // How Chromium really calls: same-origin fetch carries Sec-Fetch-Site, and the cookie alone passes.
  const seen = await page.evaluate(async () => {
    const r = await fetch('/api/trust/explain', { credentials: 'same-origin' })
    return await r.json() as { sec_fetch_site: string | null, credentials: { cookie: string }, verdicts: { this_request: { allow: boolean } } }
  })
  t.equal(seen.sec_fetch_site, 'same-origin', 'Chromium sends Sec-Fetch-Site: same-origin')
  t.equal(seen.credentials.cookie, 'valid', 'the page\'s cookie came back')
  const poller = await page.evaluate(async () => (await fetch('/api/actions/hermes-update/status?lines=5')).status)
  t.equal(poller, 200, 'the update poller passes on the cookie, without the header')
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
  }), new URL(s.url).host)
  t.equal(opened, 'open')
  await publish(s, 'cookie-only', 'ping-from-test')
  const outcome = await page.evaluate(async () => await (globalThis as unknown as { cookieSocket: Promise<string> }).cookieSocket)
  t.equal(outcome, 'message ping-from-test', 'a WebSocket from the page with only the cookie passes: the browser\'s Origin is same-origin')
  t.same(errors, [], 'no console errors')
})

t.test('token mode: the token once, then the page works from its cookie', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const home = createFixtureHome()
  t.teardown(home.remove)
  const s = await startServer(t, { hermesHome: home.dir, trust: 'token' })
  const browser = await launchChromium(t)
  const page = await browser.newPage()
  await page.goto(`${s.url}/`)
  t.equal(await page.locator('[data-reason]').getAttribute('data-reason'), 'token_missing', 'the token page')
  await screenshot(page, 'token-page')
  await page.fill('#token', TEST_TOKEN)
  await Promise.all([page.waitForURL(`${s.url}/`), page.click('button[type=submit]')])
  t.equal(page.url(), `${s.url}/`, 'the token left the address bar')
  const errors = watchErrors(page)
  await page.getByRole('status').filter({ hasText: 'connected' }).first().waitFor({ timeout: 10_000 })
  await page.locator('#events-state').filter({ hasText: 'following' }).waitFor({ timeout: 10_000 })
  await page.reload()
  await page.getByRole('status').filter({ hasText: 'connected' }).first().waitFor({ timeout: 10_000 })
  t.pass('a reload keeps working from the cookie')
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
