// test/browser-reads.test.ts
// The built-in page's Sessions and Logs views in a real Chromium, over the native read routes on a
// home of Hermes v0.18's schema: the list pages on, a search finds a message and opens its session,
// a session's messages show with their roles, the log shows its lines and its level filter works,
// and the page logs no error.

/// <reference lib="dom" />

import t from 'tap'
import { join } from 'node:path'
import { CHROMIUM, launchChromium, screenshot, watchErrors } from './helpers/browser.js'
import { createFixtureHome } from './helpers/home.js'
import { openView, waitText } from './helpers/page-flow.js'
import { json, localPeer } from './helpers/peer.js'
import { requireProgram } from './helpers/requirements.js'
import { startServer } from './helpers/server.js'
// @ts-expect-error: a plain ES module shared with the benchmark
import { makeLogs, makeStateDb } from './fixtures/make-hermes-home.mjs'

const peer = localPeer()

t.test('Sessions and Logs views, in Chromium', async (t) => {
  if (!requireProgram(t, CHROMIUM, 'apt-get install chromium')) return
  const home = createFixtureHome()
  t.teardown(home.remove)
  makeStateDb(join(home.dir, 'state.db'), { schema: 21, sessions: 45, messagesPerSession: 6, seed: 5 })
  makeLogs(home.dir)
  const s = await startServer(t, { hermesHome: home.dir }, { HERMES_FIXTURE_VERSION: '0.18.2' })
  for (let i = 0; i < 100 && json(await peer.http({ url: `${s.url}/api/status` })).version !== '0.18.2'; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const errors = watchErrors(page)
  const calls: string[] = []
  page.on('response', (r) => { if (r.url().includes('/api/sessions') || r.url().includes('/api/logs')) calls.push(`${r.status()} ${r.headers()['x-hermes-dashboard-source'] ?? '?'} ${new URL(r.url()).pathname}`) })
  await page.goto(`${s.url}/#sessions`)
  await openView(page, 'sessions')
  await waitText(page, '#sessions-count', /^20 of \d+$/)
  t.equal(await page.locator('#sessions-list li').count(), 20, 'the first 20 sessions')
  await page.click('#sessions-more')
  await waitText(page, '#sessions-count', /^40 of \d+$/)
  t.equal(await page.locator('#sessions-list li').count(), 40, 'More loads the next 20')

  await page.fill('#sessions-q', 'nginx')
  await page.press('#sessions-q', 'Enter')
  await waitText(page, '#sessions-count', /^[1-9]\d* found$/)
  t.match(await page.locator('#sessions-list li .snippet').first().innerText(), /nginx/i, 'a hit shows its snippet')
  await page.locator('#sessions-list li button').first().click()
  await waitText(page, '#session-messages', /user/)
  t.ok(await page.locator('#session-messages li[data-role=user]').count() > 0, 'the session\'s messages, with their roles')
  t.match(await page.locator('#session-messages').innerText(), /nginx/i, 'the conversation searched for')
  await screenshot(page, 'reads-sessions')

  await openView(page, 'logs')
  await waitText(page, '#logs-count', /^200 lines$/)
  t.match(await page.locator('#logs-lines').innerText(), /INFO agent\.loop: line \d+/, 'the agent log')
  // Answers out of order: the WARNING filter is chosen first and its request held back in the
  // browser; ERROR is chosen next and answered. Every state the log pane shows is recorded.
  await page.evaluate(() => {
    const pane = document.getElementById('logs-lines') as HTMLElement
    const shown: boolean[] = []
    ;(window as unknown as { warningShown: boolean[] }).warningShown = shown
    new MutationObserver(() => shown.push((pane.textContent ?? '').includes(' WARNING '))).observe(pane, { childList: true, characterData: true, subtree: true })
  })
  const logsAt = (level: string) => (r: { url: () => string }): boolean => new URL(r.url()).pathname === '/api/logs' && new URL(r.url()).searchParams.get('level') === level
  let release = (): void => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  await page.route((url) => logsAt('WARNING')({ url: () => url.href }), async (route) => { await held; await route.continue() })
  const warningDone = page.waitForEvent('requestfinished', logsAt('WARNING'))
  await page.selectOption('#logs-level', 'WARNING')
  // The count already says "200 lines": wait for the filtered answer itself, then for it on the page.
  const filtered = page.waitForResponse(logsAt('ERROR'))
  await page.selectOption('#logs-level', 'ERROR')
  const answer = await (await filtered).json() as { lines: string[] }
  t.ok(answer.lines.length > 0 && answer.lines.length < 200, `the filtered answer has ${answer.lines.length} lines`)
  await waitText(page, '#logs-count', new RegExp(`^${answer.lines.length} lines$`))
  const errorsOnly = await page.locator('#logs-lines').innerText()
  t.notMatch(errorsOnly, / (INFO|DEBUG|WARNING) /, 'the level filter: errors only')
  t.match(errorsOnly, / ERROR /)
  // Now the older WARNING answer arrives; then one more load (Show), answered after it.
  release()
  await warningDone
  const again = page.waitForResponse(logsAt('ERROR'))
  await page.click('#logs-form button[type=submit]')
  await again
  await waitText(page, '#logs-count', new RegExp(`^${answer.lines.length} lines$`))
  const shown = await page.evaluate(() => (window as unknown as { warningShown: boolean[] }).warningShown)
  t.ok(shown.length > 0 && !shown.includes(true), `the older WARNING answer, arriving last, was never shown (pane states: ${shown.join(', ')})`)
  await screenshot(page, 'reads-logs')
  t.ok(calls.length >= 6 && calls.every((c) => /^200 native /.test(c)), `every read answered natively: ${calls.join(', ')}`)
  t.strictSame(errors, [], 'no console error')
})
