// End-to-end scenario of per-flow-config generation parameters (50): set in
// the flow config editor, saved, refused when the model cannot take them,
// and recorded as sent on a chat message and on an eval row.

import { assert, lastTurn, send, tid, until, waitSettled } from './helpers.mjs'

const post = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

export const paramScenarios = [
  {
    n: 50,
    name: 'flow config parameters: set in the editor, refused when the model cannot take them, shown on a message and an eval row',
    async run({ page, base, api, shot }) {
      await page.goto(`${base}/flow-configs`)
      await page.click(tid('new-button'))
      await page.fill(tid('field-name'), 'E2E tuned')
      // The model fields are pickers fed by GET /api/models, free text allowed.
      const models = await api('/api/models')
      await until(async () => (await page.locator(`${tid('known-models')} option`).count()) === models.models.length, 'the model picker offers the server\'s models')
      await page.fill(tid('field-superego-temperature'), '0.3')
      await page.fill(tid('field-assistant-max-tokens'), '6')
      await page.click(tid('save-button'))
      await page.waitForURL(/\/flow-configs\/e2e-tuned/)
      const id = page.url().split('/flow-configs/')[1]
      const cfg = await api(`/api/flow-configs/${id}`)
      assert(cfg.superego_params.temperature === 0.3 && cfg.assistant_params.max_tokens === 6, `saved parameters: ${JSON.stringify([cfg.superego_params, cfg.assistant_params])}`)
      assert(Object.keys(cfg.superego_params).length === 1 && Object.keys(cfg.assistant_params).length === 1, 'empty fields are not sent')
      await page.reload()
      await until(async () => (await page.inputValue(tid('field-superego-temperature'))) === '0.3', 'the saved temperature shows after a reload')
      assert((await page.inputValue(tid('field-assistant-max-tokens'))) === '6', 'the saved max tokens show after a reload')

      // The demo assistant cannot reason: a thinking budget is refused on
      // save, next to its field, and nothing is stored.
      await page.fill(tid('field-assistant-thinking-budget'), '2000')
      await page.click(tid('save-button'))
      const budgetError = page.locator(`${tid('assistant-params')} .field-error`)
      await until(async () => (await budgetError.count()) === 1 && /cannot reason/.test(await budgetError.innerText()), 'the refusal shows at the thinking budget')
      await shot('refused-budget')
      const after = await api(`/api/flow-configs/${id}`)
      assert(after.version === cfg.version && after.assistant_params.thinking_budget === undefined, 'the refused save stored nothing')

      // A conversation on the config: the answer stops at 6 tokens, marked
      // incomplete, and its details show what each call sent.
      const inst = await api('/api/flow-instances', post({ flow_config_id: id, name: 'E2E tuned chat' }))
      await page.goto(`${base}/chat/${inst.id}`)
      await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
      await send(page, 'What is a good name for a cat?')
      const turn = await lastTurn(page)
      await waitSettled(turn)
      await turn.locator(tid('truncated-note')).waitFor()
      await turn.locator(tid('details-toggle')).click()
      const details = await turn.locator(tid('turn-details')).innerText()
      assert(/Superego parameters\s+temperature 0\.3/.test(details), `the superego's parameters in the details: ${details}`)
      assert(/Assistant parameters\s+max tokens 6/.test(details), `the assistant's parameters in the details: ${details}`)
      await shot('message-params')

      // An eval row records them too, and its side panel shows them.
      await api('/api/eval-suites', post({ id: 'e2e-params', name: 'E2E params', description: '', source: 'e2e', license: '',
        cases: [{ id: 'p1', input: 'What is a good name for a cat?', expected: 'ALLOW', category: 'benign', note: '' }] }))
      const run = await api('/api/eval-runs', post({ suite_id: 'e2e-params', targets: [{ flow_config_id: id }], repeats: 1, mode: 'full' }))
      await page.goto(`${base}/evals/runs/${run.id}`)
      await until(async () => (await page.locator(`${tid('run-view')}[data-status="completed"]`).count()) === 1, 'the eval completes')
      await page.locator(tid('result-row')).first().click()
      await page.waitForSelector(tid('result-panel'))
      assert((await page.locator(tid('panel-superego-params')).innerText()).trim() === 'temperature 0.3', 'the panel shows what the superego call sent')
      assert((await page.locator(tid('panel-assistant-params')).innerText()).trim() === 'max tokens 6', 'the panel shows what the assistant call sent')
      await shot('eval-row-params')
    },
  },
]
