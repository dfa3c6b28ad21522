// End-to-end tests: the real superego binary (demo provider, temp SQLite
// data dir) driven through the embedded UI in Debian's Chromium with
// playwright-core. Run with `npm run e2e` from web/.
//
//   SUPEREGO_BIN   the binary (default ../bin/superego, built with -tags ui)
//   CHROMIUM_PATH  the browser (default /usr/bin/chromium)
//   E2E_SCREENSHOTS where screenshots go (default web/e2e-screenshots)
//   E2E_ONLY       comma-separated scenario numbers to run, e.g. "1,6"
//
// Prints one line per scenario and finally "N passed, N failed"; exits
// non-zero when anything failed.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { startProxy } from './proxy.mjs'
import { freePort, startServer } from './server.mjs'
import { scenarios as base } from './scenarios.mjs'
import { labScenarios } from './scenarios-lab.mjs'
import { screeningScenarios } from './screening.mjs'

const scenarios = [...base, ...labScenarios, ...screeningScenarios]

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.resolve(webDir, process.env.SUPEREGO_BIN || '../bin/superego')
const shotsDir = path.resolve(webDir, process.env.E2E_SCREENSHOTS || 'e2e-screenshots')
const only = (process.env.E2E_ONLY || '').split(',').filter(Boolean).map(Number)

mkdirSync(shotsDir, { recursive: true })
for (const f of readdirSync(shotsDir)) if (f.endsWith('.png') || f.endsWith('.log')) rmSync(path.join(shotsDir, f))
const dataDir = mkdtempSync(path.join(tmpdir(), 'superego-e2e-'))
const logPath = path.join(shotsDir, 'server.log')
console.log(`screenshots: ${shotsDir}`)
console.log(`binary: ${bin}  data dir: ${dataDir}`)

if (!existsSync(bin)) {
  console.log(`FAIL no superego binary at ${bin}: build it with \`make build\` (or go build -tags ui -o bin/superego ./cmd/superego), or set SUPEREGO_BIN`)
  console.log('0 passed, 1 failed')
  process.exit(1)
}
const port = await freePort()
let server
try {
  server = await startServer({ bin, port, dataDir, logPath })
} catch (e) {
  console.log(`FAIL the server did not start: ${e.message}`)
  console.log('0 passed, 1 failed')
  process.exit(1)
}

let browser
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
} catch (e) {
  console.log(`FAIL Chromium did not start (install Debian's chromium, or set CHROMIUM_PATH): ${e.message.split('\n')[0]}`)
  await server.stop('SIGTERM')
  console.log('0 passed, 1 failed')
  process.exit(1)
}

let shotCounter = 0
const ctx = {
  get base() {
    return server.base
  },
  browser,
  /** Saves a full-page screenshot named after the scenario and step. */
  async shot(page, name) {
    shotCounter++
    const file = path.join(shotsDir, `${String(shotCounter).padStart(2, '0')}-${name}.png`)
    await page.screenshot({ path: file, fullPage: true })
    return file
  },
  /** Kills the server (SIGKILL: a crash, not a clean stop) and starts it again on the same port and data dir. */
  async crashAndRestart(betweenFn) {
    await server.stop('SIGKILL')
    if (betweenFn) await betweenFn()
    server = await startServer({ bin, port, dataDir, logPath })
  },
  /** Restarts the server the way a deploy does (SIGTERM: runs in flight finish first) on the same port and data dir. */
  async restart(betweenFn) {
    await server.stop('SIGTERM')
    if (betweenFn) await betweenFn()
    server = await startServer({ bin, port, dataDir, logPath })
  },
  /** Another server (own port and data dir) with extra flags; the caller stops it. */
  async spawnServer(extraArgs) {
    const dir = mkdtempSync(path.join(tmpdir(), 'superego-e2e-extra-'))
    const srv = await startServer({ bin, port: await freePort(), dataDir: dir, logPath, extraArgs })
    return { ...srv, stop: async (sig) => { await srv.stop(sig); rmSync(dir, { recursive: true, force: true }) } }
  },
  /** A proxy to the server whose connections the test can cut. */
  proxy: (targetPort = port) => startProxy(targetPort),
  /** JSON from the REST API. */
  async api(p, init) {
    const res = await fetch(server.base + p, init)
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${p}: ${res.status} ${await res.text()}`)
    return res.status === 204 ? null : res.json()
  },
}

let passed = 0
let failed = 0
const state = {} // shared between scenarios (e.g. the blocked message of 2 is rerun in 5)
for (const sc of scenarios) {
  if (only.length && !only.includes(sc.n)) continue
  // A scenario may ask for its own context: a phone's viewport, dark mode.
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, ...(sc.context ?? {}) })
  const page = await context.newPage()
  const consoleErrors = []
  page.on('pageerror', (e) => consoleErrors.push(String(e)))
  // The server's Content-Security-Policy must let the app work: a refused
  // script, style, image or connection fails the scenario.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) consoleErrors.push(`CSP: ${m.text()}`)
  })
  const started = Date.now()
  try {
    await sc.run({ ...ctx, page, context, state, shot: (name) => ctx.shot(page, `s${sc.n}-${name}`) })
    if (consoleErrors.length) throw new Error(`uncaught errors in the page: ${consoleErrors.join(' | ')}`)
    passed++
    console.log(`ok   ${sc.n}. ${sc.name} (${Date.now() - started} ms)`)
  } catch (e) {
    failed++
    console.log(`FAIL ${sc.n}. ${sc.name}: ${e?.stack || e}`)
    try {
      await ctx.shot(page, `s${sc.n}-FAILED`)
    } catch {
      // the page may be gone
    }
  } finally {
    await context.close()
  }
}

await browser.close()
await server.stop('SIGTERM')
rmSync(dataDir, { recursive: true, force: true })
console.log(`screenshots written to ${shotsDir}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
