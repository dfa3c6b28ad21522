// The end-to-end scenarios: the seven of the web UI issue (1–7) and four more (8–11).
// Each gets a fresh browser context and the shared server; `state` carries ids between them.

import { attributionScenarios } from './attribution.mjs'
import { evalScenarios } from './evals.mjs'
import { evalGapScenarios } from './evals-gaps.mjs'
import { paramScenarios } from './params.mjs'
import { T, assert, lastTurn, newChat, send, tid, until, waitSettled } from './helpers.mjs'

export const scenarios = [
  {
    n: 1,
    name: 'send a message: thinking streams, ALLOW, streamed answer survives a reload',
    async run({ page, base, shot, api, state }) {
      await page.goto(base)
      await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
      assert(await page.isVisible(tid('demo-banner')), 'the demo banner is visible')
      const id = await newChat(page, base, 'E2E allow')
      state.allowInstance = id
      await shot('empty-chat')
      await send(page, 'Tell me about the history of tea in two paragraphs.')
      const turn = await lastTurn(page)
      // The thinking text grows while the superego works…
      await turn.locator(`${tid('thinking-text')}`).waitFor()
      await until(async () => (await turn.locator(tid('thinking-text')).innerText()).trim().length > 0, 'thinking text streams')
      // …and the answer is seen streaming, not only finished.
      await turn.locator(`${tid('assistant-message')}[data-streaming="true"]`).waitFor({ timeout: T })
      await shot('streaming')
      await waitSettled(turn, 'completed')
      const badge = turn.locator(tid('decision-badge'))
      assert((await badge.getAttribute('data-decision')) === 'ALLOW', 'decision is ALLOW')
      assert((await badge.innerText()).includes('ALLOW'), 'the badge says ALLOW in text')
      const answer = (await turn.locator(tid('assistant-message')).innerText()).trim()
      assert(answer.length > 20, `an answer is shown (${answer.length} chars)`)
      // The stored answer is the one that streamed.
      const msgs = await api(`/api/flow-instances/${id}/messages`)
      const stored = msgs.items.find((m) => m.role === 'assistant')
      assert(stored && stored.status === 'complete', 'the assistant message is stored complete')
      assert(answer.replace(/\s+/g, ' ').startsWith(stored.content.replace(/[*_`#]/g, '').replace(/\s+/g, ' ').slice(0, 30)), 'shown answer matches the stored one')
      await shot('allow-answer')

      await page.reload()
      const again = await lastTurn(page)
      await waitSettled(again, 'completed')
      assert((await again.locator(tid('decision-badge')).getAttribute('data-decision')) === 'ALLOW', 'ALLOW after reload')
      assert((await page.locator(tid('turn')).count()) === 1, 'one turn after reload')
      const after = (await again.locator(tid('assistant-message')).innerText()).trim()
      assert(after === answer, 'the same answer after reload')
      assert((await again.locator(tid('thinking-text')).count()) === 1, 'the thinking is kept after reload')
      await again.locator(tid('details-toggle')).click()
      await again.locator(tid('turn-details')).waitFor()
      await shot('after-reload-with-details')
    },
  },
  {
    n: 2,
    name: 'a message the demo blocks shows BLOCK and no answer (and one it cautions shows CAUTION with an answer)',
    async run({ page, base, shot, state, api }) {
      const id = await newChat(page, base, 'E2E block')
      state.blockInstance = id
      await send(page, 'How do I build a bomb at home?')
      const turn = await lastTurn(page)
      await waitSettled(turn, 'blocked')
      const badge = turn.locator(tid('decision-badge'))
      assert((await badge.getAttribute('data-decision')) === 'BLOCK', 'decision is BLOCK')
      assert((await badge.innerText()).includes('BLOCK'), 'the badge says BLOCK in text')
      assert((await turn.locator(tid('assistant-message')).count()) === 0, 'no assistant answer')
      assert(await turn.locator(tid('blocked-note')).isVisible(), 'a blocked note is shown')
      assert((await turn.locator(tid('decision-section')).innerText()).includes('Serious physical harm'), 'the card names the section that decided')
      const msgs = await api(`/api/flow-instances/${id}/messages`)
      assert(!msgs.items.some((m) => m.role === 'assistant'), 'no assistant message stored')
      assert(msgs.items.find((m) => m.role === 'superego')?.section === 'Serious physical harm', 'the stored decision cites its section')
      state.blockedMessageId = msgs.items.find((m) => m.role === 'user')?.id
      await shot('blocked')
      // CAUTION: the answer comes, with the superego's reason on the card.
      await send(page, 'What medication dose is right for a headache?')
      const caution = page.locator(tid('turn')).nth(1)
      await waitSettled(caution, 'completed')
      assert((await caution.locator(tid('decision-badge')).getAttribute('data-decision')) === 'CAUTION', 'decision is CAUTION')
      assert((await caution.locator(tid('decision-reason')).innerText()).trim().length > 0, 'a reason is shown for CAUTION')
      assert((await caution.locator(tid('assistant-message')).innerText()).trim().length > 20, 'CAUTION still answers')
      await shot('caution')
    },
  },
  {
    n: 3,
    name: 'compare two configs side by side, follow up, reopen',
    async run({ page, base, shot }) {
      await page.goto(`${base}/compare`)
      await page.waitForSelector(tid('new-comparison'))
      await page.check(tid('compare-config-standard'))
      await page.check(tid('compare-config-no-superego'))
      await page.fill(tid('comparison-name'), 'E2E compare')
      await send(page, 'Explain photosynthesis briefly.')
      await page.waitForURL(/\/compare\/[a-z0-9]/)
      const cid = page.url().split('/compare/')[1]
      const columns = page.locator(tid('compare-column'))
      await until(async () => (await columns.count()) === 2, 'two columns')
      await page.locator(`${tid('compare-column')} ${tid('assistant-message')}[data-streaming="true"]`).first().waitFor({ timeout: T })
      await shot('streaming-side-by-side')
      for (let i = 0; i < 2; i++) await waitSettled(columns.nth(i).locator(tid('turn')).last(), 'completed')
      const std = page.locator(`${tid('compare-column')}[data-config-id="standard"]`)
      const off = page.locator(`${tid('compare-column')}[data-config-id="no-superego"]`)
      assert((await std.locator(tid('decision-badge')).getAttribute('data-decision')) === 'ALLOW', 'standard column decided ALLOW')
      assert((await off.locator(tid('superego-card')).count()) === 0, 'no superego card without a superego')
      assert((await off.locator(tid('assistant-message')).innerText()).trim().length > 20, 'no-superego column answered')
      await shot('compared')

      await send(page, 'And in one sentence?')
      await until(async () => (await std.locator(tid('turn')).count()) === 2 && (await off.locator(tid('turn')).count()) === 2, 'the follow-up reaches both columns')
      for (const col of [std, off]) await waitSettled(col.locator(tid('turn')).last(), 'completed')
      await shot('follow-up')

      await page.goto(`${base}/compare`)
      await page.locator(`${tid('comparison-item')}[href="/compare/${cid}"]`).click()
      await until(async () => (await page.locator(tid('compare-column')).count()) === 2, 'reopened comparison has two columns')
      await until(async () => (await page.locator(`${tid('compare-column')}[data-config-id="standard"] ${tid('turn')}`).count()) === 2, 'reopened columns show both turns')
      await shot('reopened')
    },
  },
  {
    n: 4,
    name: 'edit a constitution: version 2 and the diff',
    async run({ page, base, shot }) {
      await page.goto(`${base}/constitutions/strict`)
      await page.waitForSelector(tid('constitution-editor'))
      await until(async () => (await page.innerText(tid('current-version'))) === 'v1', 'strict starts at v1')
      const content = page.locator(tid('field-content'))
      const before = await content.inputValue()
      await content.fill(`${before.trimEnd()}\n- Never reveal the end-to-end test's secret word.\n`)
      await until(async () => (await page.innerText(tid('content-preview'))).includes("secret word"), 'the preview follows the edit')
      await shot('editing-with-preview')
      await page.click(tid('save-button'))
      await until(async () => (await page.innerText(tid('current-version'))) === 'v2', 'saved as v2')
      await page.click(tid('tab-history'))
      await until(async () => (await page.locator(tid('version-item')).count()) >= 2, 'two versions listed')
      const added = page.locator(tid('diff-added'))
      await until(async () => (await added.count()) > 0, 'the diff shows an added part')
      assert((await added.first().innerText()).includes("secret word"), 'the added line is in the diff')
      assert((await page.inputValue(tid('diff-from'))) === '1' && (await page.inputValue(tid('diff-to'))) === '2', 'diff of v1 → v2')
      await shot('history-diff')
    },
  },
  {
    n: 5,
    name: 'rerun the blocked message under `none`: the fork answers',
    async run({ page, base, shot, state, api }) {
      if (!state.blockInstance) await scenarios.find((s) => s.n === 2).run({ page, base, shot, state, api })
      await page.goto(`${base}/chat/${state.blockInstance}`)
      const turn = page.locator(`${tid('turn')}[data-status="blocked"]`).first()
      await turn.waitFor({ timeout: T })
      await turn.locator(tid('rerun-button')).click()
      await page.waitForSelector(tid('rerun-dialog'))
      await page.selectOption(tid('rerun-constitution'), 'none')
      await shot('rerun-dialog')
      await page.click(tid('rerun-submit'))
      await page.waitForURL((u) => u.pathname.startsWith('/chat/') && !u.pathname.endsWith(state.blockInstance))
      const fork = page.url().split('/chat/')[1]
      await page.waitForSelector(tid('fork-note'))
      const forkTurn = await lastTurn(page)
      await waitSettled(forkTurn, 'completed')
      assert((await forkTurn.locator(tid('decision-badge')).getAttribute('data-decision')) === 'ALLOW', 'none allows')
      assert((await forkTurn.locator(tid('assistant-message')).innerText()).trim().length > 20, 'the fork answered')
      assert((await page.locator(tid('turn')).count()) === 1, 'the fork shows one turn (the rerun of the copied message)')
      // The fork sits under its parent in the sidebar.
      const child = page.locator(`${tid('instance-item')}[data-id="${state.blockInstance}"] + ul ${tid('instance-item')}[data-id="${fork}"]`)
      await until(async () => (await child.count()) === 1, 'the fork is listed under its parent')
      const inst = await api(`/api/flow-instances/${fork}`)
      assert(inst.parent_instance_id === state.blockInstance, 'REST agrees on the parent')
      // The original is untouched.
      const orig = await api(`/api/flow-instances/${state.blockInstance}/messages`)
      const blockedRun = orig.items.find((m) => m.id === state.blockedMessageId)?.run_id
      assert(blockedRun && !orig.items.some((m) => m.role === 'assistant' && m.run_id === blockedRun), 'the original blocked turn still has no answer')
      await shot('fork-answered')
    },
  },
  {
    n: 7,
    name: 'a second tab sees a new constitution appear without reload',
    async run({ page, context, base, shot }) {
      await page.goto(`${base}/constitutions`)
      await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
      await page.waitForSelector(`${tid('list-item')}[data-id="default"]`)
      const other = await context.newPage()
      await other.goto(`${base}/constitutions`)
      await other.click(tid('new-button'))
      await other.fill(tid('field-name'), 'Live Update Rules')
      await other.fill(tid('field-content'), '# Rules\n\n- Be kind.\n')
      await other.click(tid('create-button'))
      await other.waitForURL(/\/constitutions\/live-update-rules/)
      // The first tab was never reloaded: only resource_changed can bring it.
      await page.locator(`${tid('list-item')}[data-id="live-update-rules"]`).waitFor({ timeout: T })
      await shot('first-tab-updated')
      await other.close()
    },
  },
  {
    n: 6,
    name: 'restart the server mid-answer: the UI reconnects and shows the complete answer',
    async run({ page, base, shot, api, restart }) {
      const id = await newChat(page, base, 'E2E restart')
      await send(page, 'Write a long story about a lighthouse keeper and the sea.')
      const turn = await lastTurn(page)
      await turn.locator(`${tid('assistant-message')}[data-streaming="true"]`).waitFor({ timeout: T })
      const partial = (await turn.locator(tid('assistant-message')).innerText()).trim()
      // SIGTERM: the server refuses new runs, lets this answer finish, then exits.
      await restart(async () => {
        await page.waitForSelector(`${tid('connection-state')}:not([data-state="open"])`)
        await shot('server-restarting')
      })
      await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`, { timeout: 30_000 })
      const status = await waitSettled(turn, 'completed')
      const msgs = await api(`/api/flow-instances/${id}/messages`)
      const stored = msgs.items.find((m) => m.role === 'assistant')
      assert(stored && stored.status === 'complete', `the stored answer is complete (got ${stored ? stored.status : 'none'})`)
      const shown = turn.locator(tid('assistant-message'))
      const text = (await shown.innerText()).trim().replace(/\s+/g, ' ')
      const plain = stored.content.replace(/[*_`#]/g, '').replace(/\s+/g, ' ').trim()
      console.log(`     (restarted after ${partial.length} streamed chars; run ${status}, complete answer ${plain.length} chars)`)
      assert(plain.length > partial.length, 'the answer went on after the restart began')
      assert(text === plain, `the UI shows the complete stored answer ("${text.slice(0, 60)}…" vs "${plain.slice(0, 60)}…")`)
      assert((await shown.getAttribute('data-streaming')) === 'false', 'nothing is left streaming')
      await shot('after-restart-complete')
      await page.reload()
      await waitSettled(page.locator(tid('turn')).first(), 'completed')
      assert((await page.locator(tid('assistant-message')).first().innerText()).trim().replace(/\s+/g, ' ') === plain, 'the complete answer survives a reload')
    },
  },
  {
    n: 8,
    name: 'forms: 412 conflict choice, protected delete, sysprompt/config/template CRUD, instantiate, rename and delete a chat',
    async run({ page, base, shot, api }) {
      // Protected constitutions cannot be deleted.
      await page.goto(`${base}/constitutions/default`)
      await page.waitForSelector(tid('constitution-editor'))
      assert(await page.isDisabled(tid('delete-button')), 'delete is disabled for a protected constitution')

      // Someone else saves while we edit: the save becomes a visible choice.
      await page.goto(`${base}/constitutions/strict`)
      await page.waitForSelector(tid('constitution-editor'))
      const start = Number((await page.innerText(tid('current-version'))).slice(1))
      await page.fill(tid('field-content'), '# Mine\n\n- my edit\n')
      const cur = await api('/api/constitutions/strict')
      await api('/api/constitutions/strict', {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', 'If-Match': `"${cur.version}"` },
        body: JSON.stringify({ name: cur.name, description: cur.description, content: '# Theirs\n\n- their edit\n' }),
      })
      await page.waitForSelector(tid('stale-notice')) // resource_changed told us already
      await page.click(tid('save-button'))
      await page.waitForSelector(tid('conflict-banner'))
      await shot('conflict')
      await page.click(tid('conflict-overwrite'))
      await until(async () => (await page.innerText(tid('current-version'))) === `v${start + 2}`, 'overwrite saved a new version')
      const after = await api('/api/constitutions/strict')
      assert(after.content.includes('my edit'), 'the overwrite kept my text')
      // …and the other choice: reload theirs.
      await page.fill(tid('field-content'), '# Mine again\n')
      await api('/api/constitutions/strict', {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', 'If-Match': `"${after.version}"` },
        body: JSON.stringify({ name: after.name, description: after.description, content: '# Theirs again\n' }),
      })
      await page.click(tid('save-button'))
      await page.waitForSelector(tid('conflict-banner'))
      await page.click(tid('conflict-reload'))
      await until(async () => (await page.inputValue(tid('field-content'))) === '# Theirs again\n', 'reload shows their text')
      assert((await page.locator(tid('conflict-banner')).count()) === 0, 'the banner is gone after reload')

      // A system prompt, a flow config using it, a template, and a chat from the template.
      await page.goto(`${base}/sysprompts`)
      await page.click(tid('new-button'))
      await page.fill(tid('field-name'), 'E2E prompt')
      await page.fill(tid('field-content'), 'You are terse.')
      await page.click(tid('save-button'))
      await page.waitForURL(/\/sysprompts\/e2e-prompt$/)

      await page.goto(`${base}/flow-configs`)
      await page.click(tid('new-button'))
      await page.fill(tid('field-name'), 'E2E config')
      await page.selectOption(tid('field-constitution'), 'strict')
      await page.selectOption(tid('field-sysprompt'), 'e2e-prompt')
      await page.fill(tid('field-assistant-model'), 'demo-assistant')
      await page.click(tid('save-button'))
      await page.waitForURL(/\/flow-configs\/[a-z0-9]/)
      const cfgId = page.url().split('/flow-configs/')[1]
      const cfg = await api(`/api/flow-configs/${cfgId}`)
      assert(cfg.constitution_id === 'strict' && cfg.sysprompt_id === 'e2e-prompt' && cfg.assistant_model === 'demo-assistant', 'the config stored the selects')
      await page.fill(tid('field-name'), 'E2E config renamed')
      await page.click(tid('save-button'))
      await until(async () => (await api(`/api/flow-configs/${cfgId}`)).version === 2, 'the config edit is saved')
      await shot('flow-config')
      // A reference to a missing object is refused with a readable message.
      const bad = await fetch(`${base}/api/flow-configs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x', constitution_id: 'nope', sysprompt_id: 'e2e-prompt' }) })
      assert(bad.status === 422, `a missing reference is a 422 (got ${bad.status})`)

      await page.goto(`${base}/flow-templates`)
      await page.click(tid('new-button'))
      await page.fill(tid('field-name'), 'E2E template')
      await page.selectOption(tid('field-constitution'), 'none')
      await page.click(tid('save-button'))
      await page.waitForURL(/\/flow-templates\/[a-z0-9]/)
      await page.click(tid('instantiate-button'))
      await page.waitForURL(/\/chat\/[a-z0-9]/)
      await page.waitForSelector(tid('conversation'))
      const chatId = page.url().split('/chat/')[1]
      await until(async () => (await page.innerText(tid('conversation-title'))).includes('E2E template'), 'the new chat is named after the template')
      await shot('instantiated')

      // Rename, then delete with confirmation.
      const item = page.locator(`${tid('instance-item')}[data-id="${chatId}"]`)
      await item.hover()
      await item.locator(tid('rename-button')).click()
      await page.fill(tid('rename-input'), 'Renamed by e2e')
      await page.press(tid('rename-input'), 'Enter')
      await until(async () => (await item.locator(tid('instance-name')).innerText()).includes('Renamed by e2e'), 'renamed in the sidebar')
      await item.hover()
      await item.locator(tid('delete-button')).click()
      await page.waitForSelector(tid('confirm-dialog'))
      await shot('confirm-delete')
      await page.click(tid('confirm-button'))
      await until(async () => (await page.locator(`${tid('instance-item')}[data-id="${chatId}"]`).count()) === 0, 'the chat is gone')
      const gone = await fetch(`${base}/api/flow-instances/${chatId}`)
      assert(gone.status === 404, 'deleted on the server too')

      // Delete the (unused) flow config through its form.
      await page.goto(`${base}/flow-configs/${cfgId}`)
      await page.click(tid('delete-button'))
      await page.click(tid('confirm-button'))
      await page.waitForURL(/\/flow-configs$/)
      assert((await fetch(`${base}/api/flow-configs/${cfgId}`)).status === 404, 'the config is deleted')
    },
  },
  {
    n: 9,
    name: 'the network drops mid-answer (server stays up): the UI resumes from its last seq and shows the complete answer',
    async run({ page, shot, api, proxy }) {
      const px = await proxy()
      const viaProxy = `http://127.0.0.1:${px.port}`
      const resumes = []
      page.on('websocket', (ws) =>
        ws.on('framesent', (f) => {
          try {
            const m = JSON.parse(String(f.payload))
            if (m.type === 'resume') resumes.push(m)
          } catch {
            // not JSON
          }
        }),
      )
      try {
        const id = await newChat(page, viaProxy, 'E2E network drop')
        await send(page, 'Tell me a calm story about the tide.')
        const turn = await lastTurn(page)
        await turn.locator(`${tid('assistant-message')}[data-streaming="true"]`).waitFor({ timeout: T })
        const runId = await turn.getAttribute('data-run-id')
        px.cut()
        await page.waitForSelector(`${tid('connection-state')}[data-state="reconnecting"]`)
        await shot('offline')
        px.restore()
        await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`, { timeout: 30_000 })
        await waitSettled(turn, 'completed')
        const resume = resumes.find((r) => r.run_id === runId)
        assert(resume && resume.after_seq > 0, `resumed the run from a seq > 0 (${JSON.stringify(resumes)})`)
        const msgs = await api(`/api/flow-instances/${id}/messages`)
        const stored = msgs.items.find((m) => m.role === 'assistant')
        assert(stored && stored.status === 'complete', 'the run completed on the server')
        const text = (await turn.locator(tid('assistant-message')).innerText()).trim().replace(/\s+/g, ' ')
        assert(text === stored.content.replace(/[*_`#]/g, '').replace(/\s+/g, ' ').trim(), `the complete answer is shown ("${text.slice(-50)}")`)
        assert((await page.locator(tid('turn')).count()) === 1, 'one turn, nothing duplicated by the replay')
        console.log(`     (resumed ${runId} after seq ${resume.after_seq})`)
        await shot('resumed-complete')
      } finally {
        await px.close()
      }
    },
  },
  {
    n: 10,
    name: 'a server with --api-token: the UI asks for the token once, then REST and WebSocket work',
    async run({ page, shot, spawnServer }) {
      const srv = await spawnServer(['--api-token', 'e2e-secret-token'])
      try {
        await page.goto(`${srv.base}/constitutions`)
        await page.waitForSelector(tid('token-dialog'))
        assert((await page.locator(`${tid('list-item')}`).count()) === 0, 'nothing is listed without the token')
        await shot('token-asked')
        await page.fill(tid('token-input'), 'e2e-secret-token')
        await page.press(tid('token-input'), 'Enter')
        await page.waitForSelector(`${tid('list-item')}[data-id="default"]`)
        await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
        assert((await page.locator(tid('token-dialog')).count()) === 0, 'no dialog once the token is known')
        await shot('token-accepted')
      } finally {
        await srv.stop('SIGTERM')
      }
    },
  },
  {
    n: 11,
    name: 'Shift+Enter makes a new line, Enter sends, Stop cancels the run and keeps the partial answer',
    async run({ page, base, shot, api }) {
      const id = await newChat(page, base, 'E2E stop')
      const box = page.locator(tid('composer-input'))
      await box.click()
      await page.keyboard.type('First line')
      await page.keyboard.press('Shift+Enter')
      await page.keyboard.type('second line of a long question')
      assert((await box.inputValue()) === 'First line\nsecond line of a long question', 'Shift+Enter inserted a newline')
      await page.keyboard.press('Enter')
      const turn = await lastTurn(page)
      assert((await turn.locator(tid('user-message')).innerText()).includes('second line'), 'sent with both lines')
      await turn.locator(`${tid('assistant-message')}[data-streaming="true"]`).waitFor({ timeout: T })
      await turn.locator(tid('stop-button')).click()
      await waitSettled(turn, 'cancelled')
      assert(await turn.locator(tid('status-note')).isVisible(), 'the cancellation is shown')
      await shot('stopped')
      const msgs = await api(`/api/flow-instances/${id}/messages`)
      const user = msgs.items.find((m) => m.role === 'user')
      assert(user.content === 'First line\nsecond line of a long question', 'the stored message has the newline')
      const a = msgs.items.find((m) => m.role === 'assistant')
      assert(a && a.status === 'cancelled', `the stored answer is cancelled (${a?.status})`)
      const shown = (await turn.locator(tid('assistant-message')).innerText()).trim().replace(/\s+/g, ' ')
      assert(shown === a.content.replace(/[*_`#]/g, '').replace(/\s+/g, ' ').trim() || (a.content === '' && shown.startsWith('No text')), 'the UI shows the stored partial answer')
    },
  },
  {
    n: 12,
    name: 'a conversation open in two tabs: the other tab catches up with the run and follows it live',
    async run({ page, context, base, shot }) {
      const id = await newChat(page, base, 'E2E two tabs')
      const other = await context.newPage()
      try {
        await other.goto(`${base}/chat/${id}`)
        await other.waitForSelector(`${tid('connection-state')}[data-state="open"]`)
        await send(page, 'Write a long story about a lighthouse keeper and the sea.')
        await (await lastTurn(page)).locator(tid('superego-card')).waitFor({ timeout: T })
        // The server announces the run on its instance (resource_changed);
        // switching to a tab also makes it catch up (headless pages never
        // change visibility, so say it happened), whichever comes first.
        await other.evaluate(() => globalThis.dispatchEvent(new Event('visibilitychange')))
        const turn = await lastTurn(other)
        await until(async () => (await turn.getAttribute('data-status')) === 'running', 'the other tab shows the run as live')
        await waitSettled(turn, 'completed')
        const mine = (await (await lastTurn(page)).locator(tid('assistant-message')).innerText()).trim()
        const theirs = (await turn.locator(tid('assistant-message')).innerText()).trim()
        assert(theirs === mine && theirs.length > 100, 'both tabs show the same complete answer')
        await shot('other-tab-followed')
      } finally {
        await other.close()
      }
    },
  },
  {
    n: 13,
    name: 'the server crashes (SIGKILL) mid-answer: the UI reconnects and shows the stored, interrupted state',
    async run({ page, base, shot, api, crashAndRestart }) {
      const id = await newChat(page, base, 'E2E crash')
      await send(page, 'Write a long story about a lighthouse keeper and the sea.')
      const turn = await lastTurn(page)
      await turn.locator(`${tid('assistant-message')}[data-streaming="true"]`).waitFor({ timeout: T })
      const partial = (await turn.locator(tid('assistant-message')).innerText()).trim()
      const t0 = Date.now()
      await crashAndRestart(async () => {
        await page.waitForSelector(`${tid('connection-state')}:not([data-state="open"])`)
        await shot('server-down')
      })
      const t1 = Date.now()
      await page.waitForSelector(`${tid('connection-state')}[data-state="open"]`, { timeout: 30_000 })
      console.log(`     (server back after ${t1 - t0} ms, UI reconnected ${Date.now() - t1} ms later)`)
      const status = await waitSettled(turn)
      const msgs = await api(`/api/flow-instances/${id}/messages`)
      const stored = msgs.items.find((m) => m.role === 'assistant')
      const shown = turn.locator(tid('assistant-message'))
      console.log(`     (killed after ${partial.length} streamed chars; stored run ended "${status}", stored answer ${stored ? `${stored.status}, ${stored.content.length} chars` : 'absent'})`)
      if (stored) {
        const text = (await shown.innerText()).trim()
        const plain = stored.content.replace(/[*_`#]/g, '').replace(/\s+/g, ' ').trim()
        if (plain === '') assert(text === 'No text was stored for this answer.', `an empty stored answer is said so (got "${text}")`)
        else assert(text.replace(/\s+/g, ' ') === plain, `the UI shows exactly the stored answer ("${text.slice(0, 60)}…" vs "${plain.slice(0, 60)}…")`)
        assert((await shown.getAttribute('data-streaming')) === 'false', 'nothing is left streaming')
      }
      if (status === 'interrupted') assert(await turn.locator(tid('status-note')).isVisible(), 'the interruption is shown')
      await shot('after-restart')
      // The conversation goes on normally on the restarted server.
      await send(page, 'Are you back?')
      const next = page.locator(tid('turn')).nth(1)
      await waitSettled(next, 'completed')
      assert((await next.locator(tid('assistant-message')).innerText()).trim().length > 20, 'a full answer after the restart')
      await page.reload()
      await waitSettled(page.locator(tid('turn')).nth(1), 'completed')
      await shot('continued-after-restart')
    },
  },
  ...evalScenarios,
  ...attributionScenarios,
  ...evalGapScenarios,
  ...paramScenarios,
]
