// The app shell: providers, header and the routes of the route table.

import { Suspense } from 'react'
import { BrowserRouter, Navigate, Route, Routes } from 'react-router'
import { Header } from './Header'
import { Providers } from './Providers'
import { routes } from './routes'
import { Shortcuts } from './Shortcuts'

export function App() {
  return (
    <Providers>
      <BrowserRouter>
        <div className="app">
          <Header />
          <Shortcuts />
          <main className="app-main" id="main" tabIndex={-1}>
            <Suspense fallback={<p className="muted pad">Loading…</p>}>
              <Routes>
                <Route path="/" element={<Navigate to="/chat" replace />} />
                {routes.map((r) => (
                  <Route key={r.path} path={r.path} element={<r.page />} />
                ))}
                <Route path="*" element={<Navigate to="/chat" replace />} />
              </Routes>
            </Suspense>
          </main>
        </div>
      </BrowserRouter>
    </Providers>
  )
}
