import { defineConfig } from 'vitest/config'
import type { Plugin } from 'vite'
import react from '@vitejs/plugin-react'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

// Writes name.br and name.gz beside each built text asset, once, at the
// highest levels; the Go server serves them to browsers that accept them.
function precompress(): Plugin {
  return {
    name: 'superego-precompress',
    apply: 'build',
    closeBundle() {
      const dir = fileURLToPath(new URL('./dist/assets', import.meta.url))
      for (const file of readdirSync(dir)) {
        if (!/\.(js|css|svg|json)$/.test(file)) continue
        const data = readFileSync(join(dir, file))
        writeFileSync(join(dir, `${file}.gz`), gzipSync(data, { level: 9 }))
        writeFileSync(
          join(dir, `${file}.br`),
          brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        )
      }
    },
  }
}

// The dev server proxies the REST API and the WebSocket to a locally running
// `superego serve`, so front-end work needs no CORS setup.
const backend = process.env.SUPEREGO_DEV_BACKEND ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [react(), precompress()],
  server: {
    proxy: {
      '/api': {
        target: backend,
        ws: true,
        changeOrigin: true,
        // The server only accepts WebSockets from its own origin; present
        // the proxied socket as coming from there.
        configure: (proxy) => {
          proxy.on('proxyReqWs', (proxyReq) => proxyReq.setHeader('Origin', backend))
        },
      },
    },
  },
  build: {
    outDir: 'dist',
    // Old hashed bundles must not pile up in the binary. dist/.keep (which
    // lets the Go embed pattern compile on a clean clone) comes back from
    // public/.keep on every build.
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      output: {
        // The libraries every page needs in chunks of their own: an app
        // release leaves them cached, and the browser fetches them beside
        // the shell instead of inside one long file. The Markdown, diff and
        // chart stacks stay with the pages that load them.
        advancedChunks: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'libs', test: /node_modules[\\/](react-router|@tanstack[\\/](query-core|react-query)|openapi-fetch)[\\/]/ },
          ],
        },
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
})
