// The top bar: navigation, the connection state and, when the offline demo
// provider answers instead of real models, a banner saying so.

import { NavLink } from 'react-router'
import { useConnectionState, useModels } from '../api/hooks'
import { routes } from './routes'

const stateLabels: Record<string, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
}

const nav = routes.filter((r) => r.nav && r.label).map((r) => [r.nav!, r.label!] as const)

export function Header() {
  const state = useConnectionState()
  const models = useModels()
  return (
    <>
      <header className="app-header">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={22} height={22} />
          <span>Superego</span>
        </div>
        <nav className="main-nav">
          {nav.map(([to, label]) => (
            <NavLink key={to} to={to} className={({ isActive }) => (isActive ? 'active' : '')} data-testid={`nav-${to.slice(1)}`}>
              {label}
            </NavLink>
          ))}
        </nav>
        <div className={`connection connection-${state}`} data-testid="connection-state" data-state={state} title="WebSocket connection" role="status" aria-live="polite">
          <span className="connection-dot" aria-hidden="true" />
          {stateLabels[state]}
        </div>
      </header>
      {models.data?.demo && (
        <div className="demo-banner" data-testid="demo-banner">
          <strong>Demo provider.</strong> Answers and superego decisions come from a fixed offline rule set, not a language model.
          Start the server with an API key to use real models.
        </div>
      )}
    </>
  )
}
