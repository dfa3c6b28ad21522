// End-to-end scenarios of the superego on the answer and the speculative
// start (45–47): an answer withdrawn while it streams never shows its
// blocked word; Compare runs one config after the verdict and
// speculatively and shows the difference in time to first token; with and
// without output screening it marks where the verdicts differ, and an
// eval in full mode shows the output verdict in its side panel.
/* global document, window, MutationObserver, Node -- functions passed to the page run in the browser */

import { assert, lastTurn, send, tid, until, waitSettled } from './helpers.mjs'

// The demo assistant's fixed answer says "A real model would reply
// thoughtfully here" about twenty words in; a benign question never
// contains the word. The output screen's reason names it, so the verdict
// is the one place it may appear.
const keyword = 'thoughtfully'
const question = 'What is the capital of France?'

const post = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

/** A constitution whose demo rule blocks the keyword, and flow configs that screen answers with it. */
async function setup(ctx) {
  if (ctx.state.screening) return ctx.state.screening
  const constitution = await ctx.api('/api/constitutions', post({
    name: 'E2E plain answers',
    content: `# Plain answers\n\n## Plain words\n\nAnswers say things plainly.\n\nDemo: block when the message mentions ${keyword}.\n`,
  }))
  const config = (name, screen) =>
    ctx.api('/api/flow-configs', post({ name, constitution_id: constitution.id, sysprompt_id: 'assistant_default', screen_output: screen, screen_chunk: 4 }))
  const streaming = await config('E2E screened while streaming', 'streaming')
  ctx.state.screening = { constitution, streaming }
  return ctx.state.screening
}

/**
 * Records, from the first paint of every page load, each text the page
 * ever shows that holds the word, outside the output verdict (whose reason
 * names it): text nodes added or changed, and the text of added elements.
 */
function watchFor(word) {
  const seen = []
  window.__seen = seen
  const allowed = (n) => !!(n.nodeType === Node.ELEMENT_NODE ? n : n.parentElement)?.closest('[data-testid="output-verdict"]')
  const check = (n) => {
    if (allowed(n)) return
    if (n.nodeType === Node.TEXT_NODE) {
      if (n.data.toLowerCase().includes(word)) seen.push(n.data)
      return
    }
    if (n.nodeType !== Node.ELEMENT_NODE) return
    const walker = document.createTreeWalker(n, 4 /* NodeFilter.SHOW_TEXT */)
    for (let t = walker.nextNode(); t; t = walker.nextNode()) if (!allowed(t) && t.data.toLowerCase().includes(word)) seen.push(t.data)
  }
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'characterData') check(r.target)
      for (const n of r.addedNodes) check(n)
    }
  }).observe(document, { subtree: true, childList: true, characterData: true })
}

const seenWord = (page) => page.evaluate(() => window.__seen ?? null)

export const screeningScenarios = [
  {
    n: 45,
    name: 'an answer screened while it streams is withdrawn at its blocked word, which never reaches the page',
    async run(ctx) {
      const { page, base, shot } = ctx
      const { streaming } = await setup(ctx)
      const inst = await ctx.api('/api/flow-instances', post({ flow_config_id: streaming.id, name: 'E2E withdrawn' }))
      await page.addInitScript(watchFor, keyword)
      await page.goto(`${base}/chat/${inst.id}`)
      await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
      await send(page, question)
      const turn = await lastTurn(page)
      // Some screened chunks are shown before the withdrawal.
      await until(async () => (await turn.locator(tid('assistant-message')).count()) === 1, 'the answer starts')
      await waitSettled(turn, 'blocked')
      const answer = turn.locator(tid('assistant-message'))
      await until(async () => (await answer.getAttribute('data-withdrawn')) === 'true', 'the answer is marked withdrawn')
      const verdict = await answer.locator(tid('output-verdict')).innerText()
      assert(/BLOCK/.test(verdict) && /withdrawn/i.test(verdict), `the answer card shows the output verdict: ${verdict}`)
      assert(await answer.locator(tid('withdrawn-note')).isVisible(), 'the card says the answer was withdrawn')
      await shot('withdrawn')
      // The stored answer does hold the word (so the check below means
      // something): it is kept, marked withdrawn.
      const msgs = await ctx.api(`/api/flow-instances/${inst.id}/messages`)
      const stored = msgs.items.find((m) => m.role === 'assistant')
      assert(stored?.status === 'withdrawn' && stored.decision === 'BLOCK' && stored.content.includes(keyword), `stored answer: ${JSON.stringify(stored)}`)
      let seen = await seenWord(page)
      assert(Array.isArray(seen) && seen.length === 0, `the withdrawn word reached the page: ${JSON.stringify(seen)}`)
      // After a reload (history from REST) it is still withdrawn and hidden.
      await page.reload()
      await page.waitForSelector(tid('conversation'))
      const again = (await lastTurn(page)).locator(tid('assistant-message'))
      await until(async () => (await again.getAttribute('data-withdrawn')) === 'true', 'still withdrawn after a reload')
      seen = await seenWord(page)
      assert(Array.isArray(seen) && seen.length === 0, `after a reload the withdrawn word reached the page: ${JSON.stringify(seen)}`)
      // Asked for, the withdrawn text is shown: only what was screened
      // before the withdrawal, still without the word.
      await again.locator(tid('show-withdrawn')).click()
      await until(async () => (await again.innerText()).startsWith('This is the offline demo assistant'), 'the withdrawn text is shown when asked for')
      seen = await seenWord(page)
      assert(Array.isArray(seen) && seen.length === 0, `the shown withdrawn text holds the word: ${JSON.stringify(seen)}`)
      // The watcher does see the word anywhere else in the page.
      await page.evaluate((w) => document.body.append(document.createTextNode(`probe ${w}`)), keyword)
      await until(async () => ((await seenWord(page)) ?? []).length === 1, 'the watcher sees a probe with the word')
    },
  },
  {
    n: 46,
    name: 'Compare runs one config after the verdict and speculatively and shows the difference in time to first token',
    async run(ctx) {
      const { page, base, shot } = ctx
      await page.goto(`${base}/compare`)
      await page.waitForSelector(tid('new-comparison'))
      await page.selectOption(tid('variant-base'), 'standard')
      // Defaults: both starts, no output screening: two columns.
      await page.click(tid('variant-use'))
      await until(async () => (await page.innerText(tid('compare-count'))).startsWith('2 selected'), 'two variants chosen')
      await send(page, question)
      await page.waitForURL(/\/compare\/[a-z0-9]/)
      const columns = page.locator(tid('compare-column'))
      await until(async () => (await columns.count()) === 2, 'two columns')
      const configs = await ctx.api('/api/flow-configs?limit=200')
      const byId = Object.fromEntries(configs.items.map((c) => [c.id, c]))
      const starts = []
      for (let i = 0; i < 2; i++) {
        await waitSettled(columns.nth(i).locator(tid('turn')).last(), 'completed')
        starts.push(byId[await columns.nth(i).getAttribute('data-config-id')]?.assistant_start)
      }
      assert([...starts].sort().join() === 'after_verdict,speculative', `one column runs after the verdict, one speculatively: ${starts}`)
      // The difference shown is the stored runs' difference.
      const diff = columns.nth(1).locator(tid('column-ttft-diff'))
      await diff.waitFor()
      const ttft = []
      for (let i = 0; i < 2; i++) {
        const runId = await columns.nth(i).locator(tid('turn')).last().getAttribute('data-run-id')
        ttft.push((await ctx.api(`/api/runs/${runId}`)).timings.first_token_ms)
      }
      const shown = Number(await diff.getAttribute('data-delta-ms'))
      assert(shown === ttft[1] - ttft[0], `the difference shown (${shown} ms) is the runs' (${ttft[1]} − ${ttft[0]} ms)`)
      const text = await diff.innerText()
      const named = starts[1] === 'speculative' ? 'speculative' : 'after verdict'
      assert(new RegExp(`^${named}: [−+±][\\d,]+ ms TTFT vs column A$`).test(text), `the difference names the setting: ${text}`)
      await shot('ttft-difference')
      // Reloaded, the difference is computed from the stored runs.
      await page.reload()
      await page.locator(tid('compare-column')).nth(1).locator(tid('column-ttft-diff')).waitFor()
      assert(Number(await page.locator(tid('column-ttft-diff')).getAttribute('data-delta-ms')) === shown, 'the same difference after a reload')
    },
  },
  {
    n: 47,
    name: 'Compare with and without output screening marks the differing output verdicts; an eval in full mode shows the output verdict',
    async run(ctx) {
      const { page, base, shot } = ctx
      const { constitution, streaming } = await setup(ctx)
      await page.goto(`${base}/compare`)
      await page.waitForSelector(tid('new-comparison'))
      await page.selectOption(tid('variant-base'), streaming.id)
      await page.uncheck(tid('variant-start-speculative'))
      await page.check(tid('variant-screen-streaming'))
      await page.click(tid('variant-use'))
      await until(async () => (await page.innerText(tid('compare-count'))).startsWith('2 selected'), 'two variants chosen')
      await send(page, question)
      await page.waitForURL(/\/compare\/[a-z0-9]/)
      const columns = page.locator(tid('compare-column'))
      await until(async () => (await columns.count()) === 2, 'two columns')
      // The streaming config is reused as is; the other is made beside it.
      const s = (await columns.nth(0).getAttribute('data-config-id')) === streaming.id ? 1 : 0
      const screenedColumn = columns.nth(1 - s)
      const plain = columns.nth(s).locator(tid('turn')).last()
      const screened = screenedColumn.locator(tid('turn')).last()
      await waitSettled(plain, 'completed')
      await waitSettled(screened, 'blocked')
      // The input verdicts agree (ALLOW): not marked.
      for (const t of [plain, screened]) {
        assert((await t.locator(`${tid('superego-card')} ${tid('decision-badge')}`).getAttribute('data-differs')) === null, 'the input verdicts agree')
      }
      // The output verdicts differ: the withdrawn answer's badge and the
      // unscreened column's note say so.
      const out = screened.locator(`${tid('output-verdict')} ${tid('decision-badge')}`)
      await until(async () => (await out.getAttribute('data-differs')) === 'true', 'the withdrawn answer is marked as differing')
      assert((await out.getAttribute('data-decision')) === 'BLOCK', 'the screened column withdrew its answer')
      assert((await plain.locator(tid('output-verdict')).getAttribute('data-differs')) === 'true', 'the unscreened column is marked too')
      const named = s === 0 ? 'screens answers (streaming)' : 'no output screening'
      assert((await columns.nth(1).locator(tid('column-ttft-diff')).innerText()).startsWith(`${named}:`), 'the difference names the output screening')
      await shot('output-differs')

      // An eval in full mode records the output verdict; its panel shows it.
      const suite = await ctx.api('/api/eval-suites', post({ name: 'E2E answers', license: 'test' }))
      const csv = `input,expected\n"${question}",ALLOW\n`
      const imported = await fetch(`${base}/api/eval-suites/${suite.id}/import?format=csv&col_input=input&col_expected=expected`, {
        method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: csv,
      })
      assert(imported.ok, `import: ${imported.status} ${await imported.text()}`)
      const run = await ctx.api('/api/eval-runs', post({ suite_id: suite.id, mode: 'full', targets: [{ flow_config_id: streaming.id, constitution_id: constitution.id }] }))
      await page.goto(`${base}/evals/runs/${run.id}`)
      await until(async () => (await page.locator(`${tid('run-view')}[data-status="completed"]`).count()) === 1, 'the eval completes', 60_000)
      const row = page.locator(tid('result-row')).first()
      assert((await row.getAttribute('data-output')) === 'BLOCK', 'the row records the output verdict')
      await row.click()
      assert((await page.innerText(tid('panel-output-decision'))) === 'BLOCK', 'the panel shows the output decision')
      assert(await page.locator(tid('panel-withdrawn')).isVisible(), 'the panel says the answer was withdrawn')
      assert((await page.innerText(tid('panel-output-section'))) === 'Plain words', 'the panel names the cited section')
      await shot('eval-output')
    },
  },
]
