// Scenarios of the web UI for daily lab work: a phone (390×844), dark mode,
/* global document, getComputedStyle -- functions passed to page.evaluate run in the browser */
// keyboard only, axe-core on every page, and a run stopped before its
// superego decided. Numbers follow on from scenarios.mjs.

import { T, assert, axeCheck, horizontalOverflow, lastTurn, newChat, send, tid, until, waitSettled } from './helpers.mjs'

const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }

/** The relative luminance of a CSS rgb() colour (0 black … 1 white). */
function luminance(rgb) {
  const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map((v) => {
    const c = Number(v) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

// The page's background is the root element's (body is transparent).
const background = (page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)

export const labScenarios = [
  {
    n: 14,
    name: 'a phone (390×844): chat, constitution editor and compare fit the screen; the list is a drawer',
    context: phone,
    async run({ page, base, shot }) {
      await page.goto(`${base}/chat`)
      await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
      // The list is a drawer, closed: opening it shows the conversations.
      const drawer = page.locator(tid('drawer-button'))
      await drawer.waitFor()
      const sidebar = page.locator(tid('instance-sidebar'))
      assert(((await sidebar.boundingBox())?.x ?? 0) + ((await sidebar.boundingBox())?.width ?? 0) <= 1, 'the conversation list starts off-screen')
      await drawer.click()
      await until(async () => ((await sidebar.boundingBox())?.x ?? -1) >= 0, 'the drawer slides in')
      await shot('drawer-open')
      await page.click(tid('new-chat-button'))
      await page.fill(tid('new-chat-name'), 'E2E phone')
      await page.click(tid('create-chat-button'))
      await page.waitForSelector(tid('new-chat-dialog'), { state: 'detached' })
      await page.waitForSelector(tid('conversation'))
      await until(async () => ((await sidebar.boundingBox())?.x ?? 0) < 0, 'the drawer closes after picking')
      const box = await page.locator(tid('composer-input')).boundingBox()
      assert(box && box.width >= 200, `the message box is usable (${box?.width} px wide)`)
      await send(page, 'Tell me about the history of tea in two paragraphs.')
      await waitSettled(await lastTurn(page), 'completed')
      assert((await horizontalOverflow(page)) <= 0, `chat does not scroll sideways (${await horizontalOverflow(page)} px)`)
      await shot('chat')
      await axeCheck(page, 'chat on a phone')

      await page.goto(`${base}/constitutions/strict`)
      await page.waitForSelector(tid('constitution-editor'))
      const content = page.locator(tid('field-content'))
      await content.fill(`${(await content.inputValue()).trimEnd()}\n- Phone edit.\n`)
      const save = await page.locator(tid('save-button')).boundingBox()
      assert(save && save.x >= 0 && save.x + save.width <= 390, `Save is on screen (x ${save?.x}, width ${save?.width})`)
      assert((await horizontalOverflow(page)) <= 0, `the constitution editor does not scroll sideways (${await horizontalOverflow(page)} px)`)
      await shot('constitution-editor')
      await page.click(tid('save-button'))
      await until(async () => (await page.innerText(tid('current-version'))) !== 'v1', 'saved from the phone')

      await page.goto(`${base}/compare`)
      await page.waitForSelector(tid('new-comparison'))
      await page.check(tid('compare-config-standard'))
      await page.check(tid('compare-config-no-superego'))
      await send(page, 'Explain photosynthesis briefly.')
      await page.waitForURL(/\/compare\/[a-z0-9]/)
      const columns = page.locator(tid('compare-column'))
      await until(async () => (await columns.count()) === 2, 'two columns')
      for (let i = 0; i < 2; i++) await waitSettled(columns.nth(i).locator(tid('turn')).last(), 'completed')
      assert((await horizontalOverflow(page)) <= 0, `compare does not scroll the page sideways (${await horizontalOverflow(page)} px)`)
      await shot('compare')
      await axeCheck(page, 'compare on a phone')
      // The page menu opens and navigates.
      await page.click(tid('menu-button'))
      await page.click(tid('nav-flow-configs'))
      await page.waitForURL(/\/flow-configs/)
      assert((await horizontalOverflow(page)) <= 0, 'flow configs fit the phone')
    },
  },
  {
    n: 15,
    name: 'dark mode follows the system, the switch overrides it, and dark pages pass axe (contrast included)',
    context: { colorScheme: 'dark' },
    async run({ page, base, shot }) {
      const id = await newChat(page, base, 'E2E dark')
      assert(luminance(await background(page)) < 0.05, 'the system is dark: so is the page')
      await send(page, 'What medication dose is right for a headache?')
      await waitSettled(await lastTurn(page), 'completed')
      await (await lastTurn(page)).locator(tid('details-toggle')).click()
      await shot('dark-chat')
      await axeCheck(page, 'dark chat')
      for (const path of ['/constitutions/default', '/compare', '/sysprompts', '/flow-configs', '/flow-templates']) {
        await page.goto(base + path)
        await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
        await page.waitForLoadState('networkidle')
        await axeCheck(page, `dark ${path}`)
      }
      // The switch: system → light (kept across a reload) → dark → system.
      await page.goto(`${base}/chat/${id}`)
      await page.click(tid('theme-switch'))
      await until(async () => luminance(await background(page)) > 0.8, 'light on the switch')
      await page.reload()
      await page.waitForSelector(tid('conversation'))
      assert(luminance(await background(page)) > 0.8, 'light is kept after a reload')
      await page.click(tid('theme-switch'))
      await page.click(tid('theme-switch'))
      assert((await page.getAttribute(tid('theme-switch'), 'data-theme')) === 'system', 'back to the system theme')
      assert(luminance(await background(page)) < 0.05, 'dark again with the system')
    },
  },
  {
    n: 16,
    name: 'keyboard only: skip link, new chat, send, Escape stops, shortcuts under ?, switch pages, titles',
    async run({ page, base, shot }) {
      await page.goto(`${base}/constitutions`)
      await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
      // The first Tab reaches the skip link; Enter moves focus to the page.
      await page.keyboard.press('Tab')
      assert((await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))) === 'skip-link', 'the first Tab is the skip link')
      await page.keyboard.press('Enter')
      await until(() => page.evaluate(() => document.activeElement?.id === 'main'), 'focus is on the main content')
      // "n": a new chat; type its name, Enter creates it.
      await page.keyboard.press('n')
      await page.waitForSelector(tid('new-chat-dialog'))
      await page.keyboard.type('E2E keyboard')
      await page.keyboard.press('Enter')
      await page.waitForSelector(tid('new-chat-dialog'), { state: 'detached' })
      await page.waitForSelector(tid('conversation'))
      await until(async () => (await page.title()).startsWith('E2E keyboard'), 'the tab title is the conversation name')
      // The message box has focus: type, Enter sends, Escape stops.
      await until(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'composer-input'), 'the message box has focus')
      await page.keyboard.type('Write a long story about a lighthouse keeper and the sea.')
      await page.keyboard.press('Enter')
      const turn = await lastTurn(page)
      await turn.locator(`${tid('assistant-message')}[data-streaming="true"]`).waitFor({ timeout: T })
      await page.keyboard.press('Escape')
      await waitSettled(turn, 'cancelled')
      await shot('stopped-by-escape')
      // Leave the box (Tab) so keys are shortcuts again; "?" lists them.
      await page.keyboard.press('Tab')
      await page.keyboard.press('?')
      await page.waitForSelector(tid('shortcuts-dialog'))
      assert((await page.innerText(tid('shortcuts-dialog'))).includes('Go to Constitutions'), 'the shortcuts list the pages')
      await shot('shortcuts')
      await page.keyboard.press('Escape')
      await page.waitForSelector(tid('shortcuts-dialog'), { state: 'detached' })
      // "g k": constitutions; "g c": back to the chat, which reopens the last conversation.
      await page.keyboard.press('g')
      await page.keyboard.press('k')
      await page.waitForURL(/\/constitutions$/)
      await until(async () => (await page.title()).startsWith('Constitutions'), 'the constitutions page names itself')
      await page.keyboard.press('g')
      await page.keyboard.press('c')
      await page.waitForURL(/\/chat\/[a-z0-9]/)
      await until(async () => (await page.title()).startsWith('E2E keyboard'), 'the chat reopens the last conversation')
    },
  },
  {
    n: 17,
    name: 'axe-core: no serious or critical violation on any page (light)',
    async run({ page, base, state }) {
      const id = state.allowInstance ?? (await newChat(page, base, 'E2E axe'))
      if (!state.allowInstance) {
        await send(page, 'Tell me about the history of tea in two paragraphs.')
        await waitSettled(await lastTurn(page), 'completed')
      }
      const pages = [`/chat/${id}`, '/compare', '/constitutions', '/constitutions/default', '/sysprompts', '/sysprompts/assistant_default', '/flow-configs', '/flow-configs/standard', '/flow-templates']
      for (const path of pages) {
        await page.goto(base + path)
        await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
        await page.waitForLoadState('networkidle')
        await axeCheck(page, path)
      }
      // The history tab with its diff, and a comparison.
      await page.goto(`${base}/constitutions/strict`)
      await page.click(tid('tab-history'))
      await page.waitForSelector(tid('version-item'))
      await axeCheck(page, 'constitution history')
      const comparisons = page.locator(tid('comparison-item'))
      await page.goto(`${base}/compare`)
      if ((await comparisons.count()) > 0) {
        await comparisons.first().click()
        await page.waitForSelector(tid('compare-column'))
        await page.waitForLoadState('networkidle')
        await axeCheck(page, 'a comparison')
      }
      // Dialogs: new chat and the shortcuts.
      await page.goto(`${base}/chat/${id}`)
      await page.click(tid('new-chat-button'))
      await page.waitForSelector(tid('new-chat-dialog'))
      await axeCheck(page, 'the new-chat dialog')
    },
  },
  {
    n: 18,
    name: 'a run stopped before the superego decided does not keep saying "Evaluating…", even after a reload',
    async run({ page, base, shot }) {
      await newChat(page, base, 'E2E stopped early')
      await send(page, 'Write a long story about a lighthouse keeper and the sea.')
      const turn = await lastTurn(page)
      // Stop while the superego is still thinking.
      await turn.locator(tid('thinking-text')).waitFor({ timeout: T })
      await turn.locator(tid('stop-button')).click()
      await waitSettled(turn, 'cancelled')
      const badge = turn.locator(tid('decision-badge'))
      assert((await badge.getAttribute('data-decision')) === '', 'no decision was reached (stopped in time)')
      const check = async (where) => {
        const b = (await lastTurn(page)).locator(tid('decision-badge'))
        await until(async () => (await b.getAttribute('data-ended')) === 'true', `the badge says the run ended (${where})`)
        const text = await b.innerText()
        assert(!text.includes('Evaluating'), `no "Evaluating…" on a stopped run (${where}): ${text}`)
      }
      await check('live')
      await shot('stopped-before-decision')
      await page.reload()
      await waitSettled(await lastTurn(page), 'cancelled')
      await check('after reload')
    },
  },
  {
    n: 19,
    name: 'search from the header finds a word of a new message and opens it; a constitution imports from Markdown',
    async run({ page, base, shot, api }) {
      const id = await newChat(page, base, 'E2E search')
      await send(page, 'Tell me about zanzibarite crystals please.')
      await waitSettled(await lastTurn(page), 'completed')
      const msgs = await api(`/api/flow-instances/${id}/messages`)
      const user = msgs.items.find((m) => m.role === 'user')
      await page.goto(`${base}/constitutions`)
      await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
      await page.waitForSelector(tid('constitution-list'))
      await page.keyboard.press('/')
      await until(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'search-input'), '"/" focuses the search box')
      await page.keyboard.type('zanzibar')
      const hit = page.locator(`${tid('search-hit')}[data-kind="message"][data-id="${user.id}"]`)
      await hit.waitFor({ timeout: T })
      await shot('search-results')
      await hit.click()
      await page.waitForURL(new RegExp(`/chat/${id}\\?message=${user.id}`))
      await page.locator(`${tid('turn')}.highlighted`).waitFor({ timeout: T })
      await shot('search-opened')
      // A Markdown file becomes a constitution named by its first heading.
      await page.goto(`${base}/constitutions`)
      await page.setInputFiles(tid('import-constitution-file'), { name: 'lab-rules.md', mimeType: 'text/markdown', buffer: Buffer.from('# Imported lab rules\n\n- Be precise.\n') })
      await page.waitForURL(/\/constitutions\/imported-lab-rules/)
      await until(async () => (await page.inputValue(tid('field-content'))).includes('Be precise.'), 'the imported text is the content')
    },
  },
]
