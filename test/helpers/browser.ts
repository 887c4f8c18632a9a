// test/helpers/browser.ts
// Debian's Chromium, driven by playwright-core (no browser download): headless, no sandbox (tests run
// as root), no background networking (this machine's network is closed), a fresh profile per launch.

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { ARTIFACTS } from './paths.js'

export const CHROMIUM = '/usr/bin/chromium'

export async function launchChromium (t: { teardown (fn: () => unknown): void }, extraArgs: readonly string[] = []): Promise<Browser> {
  // playwright gives each launch a fresh temporary profile of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  })
  t.teardown(() => browser.close())
  return browser
}

/** Collects console errors and uncaught page errors, to assert there were none. */
export function watchErrors (page: Page): string[] {
  const errors: string[] = []
  // The URL says which request failed (Chromium's text for a failed load does not).
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}${m.location().url ? ` (${m.location().url})` : ''}`) })
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`))
  return errors
}

export async function screenshot (page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}
