// Starting and stopping the real superego binary for the end-to-end tests.

import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import net from 'node:net'

/** A TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Runs `superego serve` on addr with dataDir and the demo provider, logging
 * to logPath, and resolves once GET /api/health answers.
 */
export async function startServer({ bin, port, dataDir, logPath, demoDelay = '20ms', extraArgs = [], env: extraEnv = {} }) {
  const log = createWriteStream(logPath, { flags: 'a' })
  const args = ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, '--demo-delay', demoDelay, ...extraArgs]
  const env = { ...process.env }
  // The demo provider must answer, whatever keys the developer has set.
  for (const k of ['OPENROUTER_API_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'SUPEREGO_PROVIDER', 'SUPEREGO_DATABASE_URL', 'SUPEREGO_API_TOKEN']) delete env[k]
  Object.assign(env, extraEnv)
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.pipe(log, { end: false })
  child.stderr.pipe(log, { end: false })
  let exited = null
  child.on('exit', (code, signal) => {
    exited = { code, signal }
  })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (exited) throw new Error(`superego exited during start-up (${JSON.stringify(exited)}); see ${logPath}`)
    try {
      const res = await fetch(`${base}/api/health`)
      // Up is up: with --api-token even health may want the token.
      if (res.ok || res.status === 401) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`superego did not become healthy within 30s; see ${logPath}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    base,
    child,
    /** Stops the server: SIGTERM (graceful) or SIGKILL (a crash). */
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (exited) return resolve(exited)
        child.once('exit', (code, sig) => resolve({ code, signal: sig }))
        child.kill(signal)
      }),
  }
}
