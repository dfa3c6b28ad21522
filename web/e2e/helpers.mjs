// Helpers shared by the end-to-end scenarios.
/* global document, window, axe -- functions passed to page.evaluate run in the browser */

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

export const T = 20_000

/** Polls fn until it returns a truthy value; fails with msg after timeout. */
export async function until(fn, msg, timeout = T) {
  const deadline = Date.now() + timeout
  let last
  for (;;) {
    try {
      last = await fn()
      if (last) return last
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${msg} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`)
}

export const tid = (id) => `[data-testid="${id}"]`

/** Creates a conversation from the default template through the UI and opens it. */
export async function newChat(page, base, name) {
  await page.goto(`${base}/chat`)
  await page.click(tid('new-chat-button'))
  await page.fill(tid('new-chat-name'), name)
  await page.click(tid('create-chat-button'))
  // /chat opens the last conversation by itself: the new one's URL is the
  // one after the dialog closed on success.
  await page.waitForSelector(tid('new-chat-dialog'), { state: 'detached' })
  await page.waitForURL(/\/chat\/[a-z0-9]/)
  await page.waitForSelector(tid('conversation'))
  return page.url().split('/chat/')[1]
}

export async function send(page, text) {
  await page.fill(tid('composer-input'), text)
  await page.press(tid('composer-input'), 'Enter')
}

export async function lastTurn(page) {
  const turns = page.locator(tid('turn'))
  await until(async () => (await turns.count()) > 0, 'a turn appears')
  return turns.last()
}

export async function waitSettled(turn, status) {
  await until(async () => {
    const s = await turn.getAttribute('data-status')
    return s !== 'running' && s !== 'unknown' ? s : null
  }, `turn settles${status ? ` as ${status}` : ''}`)
  const s = await turn.getAttribute('data-status')
  if (status) assert(s === status, `turn status is ${status}, got ${s}`)
  return s
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/**
 * Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is and fails on
 * any serious or critical violation, naming the rule and the elements.
 */
export async function axeCheck(page, where) {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy
  // (script-src 'self') does not cover, unlike an injected <script>.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`)
  })
  if (violations.length) throw new Error(`axe on ${where}: ${violations.join('; ')}`)
}

/** The page scrolls sideways: its content is wider than the viewport. */
export async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
}
