// test/helpers/page-flow.ts
// What a person does with the built-in page, in a real Chromium, wherever the page is served from
// (directly, or behind nginx or Caddy): status shows, Chat opens and echoes a typed line through
// the fixture chat, a smaller window gives a smaller terminal and the chat is told, the Events view
// shows the chat's session.info, a reload re-attaches to the same chat, and the update action's log
// is followed to its end. Screenshots of each view go to test/artifacts/.

// Functions given to page.evaluate and waitForFunction run in the browser: they need the DOM types.
/// <reference lib="dom" />

import type { Page } from 'playwright-core'
import { screenshot } from './browser.js'
import type { TT } from './proxy-checks.js'
import { eventually, processesWith } from './pty-client.js'

const WAIT = 15_000

/** The terminal's visible text (xterm's DOM rows), spaces normalised. */
export async function terminalText (page: Page): Promise<string> {
  return (await page.locator('#terminal .xterm-rows').innerText()).replace(/\u00a0/g, ' ')
}

/** Waits until the terminal shows `text`; fails with what it did show. */
export async function waitTerminal (page: Page, text: string, timeout = WAIT): Promise<void> {
  try {
    await page.waitForFunction((s) => (document.querySelector('#terminal .xterm-rows')?.textContent ?? '').replace(/\u00a0/g, ' ').includes(s), text, { timeout })
  } catch {
    throw new Error(`the terminal never showed ${JSON.stringify(text)}; it shows:\n${await terminalText(page)}`)
  }
}

export async function openView (page: Page, name: 'chat' | 'status' | 'events' | 'actions' | 'connection' | 'sessions' | 'logs'): Promise<void> {
  await page.click(`#tab-${name}`)
  await page.locator(`#view-${name}`).waitFor({ state: 'visible', timeout: WAIT })
}

/** Waits for an element's rendered text (innerText) to match; returns the text. */
export async function waitText (page: Page, selector: string, pattern: RegExp, timeout = WAIT): Promise<string> {
  try {
    await page.waitForFunction(({ selector, source, flags }) => {
      const node = document.querySelector(selector)
      return node instanceof HTMLElement && new RegExp(source, flags).test(node.innerText)
    }, { selector, source: pattern.source, flags: pattern.flags }, { timeout })
  } catch {
    throw new Error(`${selector} never matched ${String(pattern)}; it shows: ${JSON.stringify(await page.locator(selector).first().innerText().catch(() => '(nothing)'))}`)
  }
  return await page.locator(selector).first().innerText()
}

export interface FlowOptions {
  /** Names the screenshots: `<name>-chat.png`, ... */
  readonly name: string
  /** The chat fixture's marker: to count its processes. */
  readonly marker: string
  /** The trust mode the Status and Connection views must report. */
  readonly mode: string
  /** What the Connection view must say of where the request came from. */
  readonly connection: RegExp
  /** Console errors, collected (watchErrors) since before the page was loaded. */
  readonly errors: readonly string[]
}

/**
 * Runs the whole flow on a page that has just loaded the dashboard. The page's viewport must be
 * 1280x800 at the start.
 */
export async function exercisePage (t: TT, page: Page, o: FlowOptions): Promise<void> {
  // Status: shown in the header at once, details in its view.
  await waitText(page, '#conn', /^connected$/)
  await openView(page, 'status')
  const status = await waitText(page, '#status', /Active sessions/)
  t.match(status, /Hermes\s+0\.13\.0/, `${o.name}: status shows the Hermes version`)
  t.match(status, new RegExp(`Trust mode\\s+${o.mode}`), `${o.name}: status shows the trust mode`)
  await screenshot(page, `${o.name}-status`)

  // Chat: the fixture's prompt, then a typed line and its echo.
  await openView(page, 'chat')
  await waitText(page, '#chat-state', /^connected$/)
  await waitTerminal(page, 'hermes> ')
  const line = `hello from ${o.name}`
  await page.click('#terminal')
  await page.keyboard.type(line)
  await page.keyboard.press('Enter')
  await waitTerminal(page, `you said: ${line}`)
  t.pass(`${o.name}: a typed line came back through the chat`)
  t.equal(processesWith(o.marker).length, 1, `${o.name}: one chat process`)

  // Resizing the window resizes the terminal, and the chat learns the new size.
  const before = (await page.locator('#chat-size').innerText()).replace('×', 'x')
  await waitTerminal(page, `[size ${before}]`)
  await page.setViewportSize({ width: 820, height: 560 })
  await page.waitForFunction((b) => (document.getElementById('chat-size')?.textContent ?? '').replace('×', 'x') !== b, before, { timeout: WAIT })
  const after = (await page.locator('#chat-size').innerText()).replace('×', 'x')
  const [bc, br] = before.split('x').map(Number) as [number, number]
  const [ac, ar] = after.split('x').map(Number) as [number, number]
  t.ok(ac < bc && ar < br, `${o.name}: a smaller window, a smaller terminal (${before} → ${after})`)
  await waitTerminal(page, `[size ${after}]`)
  t.pass(`${o.name}: the chat was told the new size ${after}`)
  await page.setViewportSize({ width: 1280, height: 800 })
  await screenshot(page, `${o.name}-chat`)

  // Events: the chat's session.info, and the connection state.
  await openView(page, 'events')
  await waitText(page, '#events-state', /^connected$/)
  await waitText(page, '#session', /Title\s+Fixture chat/)
  await waitText(page, '#events', new RegExp(`message\\.delta\\s+you said: ${line}`))
  t.pass(`${o.name}: the events view shows the chat's session.info and message.delta`)
  await screenshot(page, `${o.name}-events`)

  // A reload re-attaches to the same chat: its output is replayed, and no second chat starts.
  // The page reloads on the Events view, with the terminal hidden: the chat must not be told a
  // made-up size (80x24) before the terminal is shown and measured.
  const defaultSize = (text: string): number => text.split('[size 80x24]').length - 1
  await openView(page, 'chat')
  const defaultsBefore = defaultSize(await terminalText(page))
  await openView(page, 'events')
  await page.reload()
  await waitText(page, '#session', /Title\s+Fixture chat/)
  t.pass(`${o.name}: after a reload, the events view still knows the chat (a new channel, followed)`)
  await openView(page, 'chat')
  await waitTerminal(page, `you said: ${line}`)
  t.equal(processesWith(o.marker).length, 1, `${o.name}: the reload re-attached to the same chat`)
  await page.click('#terminal')
  await page.keyboard.type('after reload')
  await page.keyboard.press('Enter')
  await waitTerminal(page, 'you said: after reload')
  t.pass(`${o.name}: the re-attached chat takes input`)
  t.equal(defaultSize(await terminalText(page)), defaultsBefore, `${o.name}: re-attaching in the background did not resize the chat to 80x24`)

  // The update action, followed to the end of its log.
  await openView(page, 'actions')
  const update = page.locator('[data-action=hermes-update]')
  await update.locator('button').click()
  await waitText(page, '[data-action=hermes-update] [role=status]', /^finished: exit 0$/, 30_000)
  const log = await update.locator('pre').innerText()
  t.match(log, /Fetching updates…[\s\S]*ünïcödé line ✓\s*\nUpdate complete\.\s*$/, `${o.name}: the update's log, to its last line`)
  await screenshot(page, `${o.name}-actions`)

  // Connection: how the dashboard saw this browser.
  await openView(page, 'connection')
  const explained = await waitText(page, '#conn-summary', /runs in/)
  t.match(explained, new RegExp(`runs in ${o.mode} mode`), `${o.name}: the connection view names the mode`)
  t.match(explained, o.connection, `${o.name}: the connection view says where the request came from`)
  t.match(await page.locator('#conn-details').innerText(), /WebSockets\s+allowed/, `${o.name}: WebSockets allowed`)
  await screenshot(page, `${o.name}-connection`)

  t.same(o.errors, [], `${o.name}: no console errors`)
}

/** Ends the chat from the page and waits until its process is gone. */
export async function endChat (t: TT, page: Page, o: { name: string, marker: string }): Promise<void> {
  await openView(page, 'chat')
  await page.click('#terminal')
  await page.keyboard.type('/exit')
  await page.keyboard.press('Enter')
  const notice = await waitText(page, '#chat-notice', /The chat program ended/)
  t.match(notice, /Hermes exited with code 0/, `${o.name}: the page says the chat ended, with its exit code`)
  t.equal(await page.locator('#chat-notice').getAttribute('data-kind'), 'exited')
  t.equal(await page.locator('#chat-notice').getAttribute('data-code'), '4410', `${o.name}: from close code 4410`)
  t.ok(await eventually(() => processesWith(o.marker).length === 0), `${o.name}: no chat left running`)
}

/** Every URL the page asks for, WebSockets included, from now on. */
export function recordUrls (page: Page): string[] {
  const urls: string[] = []
  page.on('request', (r) => urls.push(r.url()))
  page.on('websocket', (ws) => urls.push(ws.url()))
  return urls
}
