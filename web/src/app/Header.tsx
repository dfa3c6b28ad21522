// The top bar: skip link, navigation (a menu on phones), search, the theme
// switch, the connection state and, when the offline demo provider answers
// instead of real models, a banner saying so.

import { useEffect, useState } from 'react'
import { NavLink, useLocation } from 'react-router'
import { useConnectionState, useModels } from '../api/hooks'
import { routes } from './routes'
import { SearchBox } from './SearchBox'
import { applyTheme, nextTheme, readTheme, type Theme } from './theme'

const stateLabels: Record<string, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
}

const themeLabels: Record<Theme, string> = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' }

const nav = routes.filter((r) => r.nav && r.label).map((r) => [r.nav!, r.label!] as const)

export function Header() {
  const state = useConnectionState()
  const models = useModels()
  const [theme, setTheme] = useState<Theme>(readTheme)
  const [menuOpen, setMenuOpen] = useState(false)
  const location = useLocation()
  useEffect(() => setMenuOpen(false), [location.pathname])
  return (
    <>
      <a className="skip-link" href="#main" data-testid="skip-link">
        Skip to content
      </a>
      <header className="app-header">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={22} height={22} />
          <span>Superego</span>
        </div>
        <button className="button button-small menu-button" onClick={() => setMenuOpen((o) => !o)} aria-expanded={menuOpen} aria-controls="main-nav" data-testid="menu-button">
          Menu
        </button>
        <nav className={`main-nav${menuOpen ? ' open' : ''}`} id="main-nav" aria-label="Pages">
          {nav.map(([to, label]) => (
            <NavLink key={to} to={to} className={({ isActive }) => (isActive ? 'active' : '')} data-testid={`nav-${to.slice(1)}`}>
              {label}
            </NavLink>
          ))}
        </nav>
        <div className="header-tools">
          <SearchBox />
          <button
            className="button button-small theme-switch"
            onClick={() => {
              const t = nextTheme(theme)
              applyTheme(t)
              setTheme(t)
            }}
            title="Switch between the system's theme, light and dark"
            data-testid="theme-switch"
            data-theme={theme}
          >
            {themeLabels[theme]}
          </button>
          <div className={`connection connection-${state}`} data-testid="connection-state" data-state={state} title="WebSocket connection" role="status" aria-live="polite">
            <span className="connection-dot" aria-hidden="true" />
            <span className="connection-label">{stateLabels[state]}</span>
          </div>
        </div>
      </header>
      {/* Until /api/models answers, the banner's box is kept, its text laid out
          but not shown (the demo is the default): on a phone it wraps to
          several lines, and the page must not jump when it appears. */}
      {models.isPending && (
        <div className="demo-banner demo-banner-pending" aria-hidden="true">
          <DemoNotice />
        </div>
      )}
      {models.data?.demo && (
        <div className="demo-banner" data-testid="demo-banner">
          <DemoNotice />
        </div>
      )}
    </>
  )
}

function DemoNotice() {
  return (
    <>
      <strong>Demo provider.</strong> Answers and superego decisions come from a fixed offline rule set, not a language model. Start the
      server with an API key to use real models.
    </>
  )
}
