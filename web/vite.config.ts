import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

// The dev server proxies the REST API and the WebSocket to a locally running
// `superego serve`, so front-end work needs no CORS setup.
const backend = process.env.SUPEREGO_DEV_BACKEND ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [react()],
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
    // One bundle for a locally served tool; the Markdown stack makes it ~530 kB.
    chunkSizeWarningLimit: 800,
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
})
