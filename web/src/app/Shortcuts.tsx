// Keyboard shortcuts for the whole app, and the "?" dialog that lists them.
// Keys act only when no text field has focus, so typing is never taken.
// Page keys come from the route table ("g" then the page's key).

import { useEffect, useState } from 'react'
import { useNavigate } from 'react-router'
import { Modal } from '../shared/ui'
import { routes } from './routes'

function typing(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName))
}

/** Focuses the page's message box, if it has one. */
function focusComposer(): boolean {
  const box = document.querySelector<HTMLTextAreaElement>('[data-testid="composer-input"]:not([disabled])')
  box?.focus()
  return !!box
}

export function Shortcuts() {
  const navigate = useNavigate()
  const [open, setOpen] = useState(false)
  useEffect(() => {
    let pendingG = false
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e) || document.querySelector('[role="dialog"]')) return
      if (pendingG) {
        pendingG = false
        const r = routes.find((x) => x.key === e.key && x.nav)
        if (r) {
          e.preventDefault()
          navigate(r.nav!)
        }
        return
      }
      switch (e.key) {
        case 'g':
          pendingG = true
          return
        case '?':
          e.preventDefault()
          setOpen(true)
          return
        case 'n':
          e.preventDefault()
          navigate('/chat?new=1')
          return
        case 'i':
          if (focusComposer()) e.preventDefault()
          return
        case '/':
          e.preventDefault()
          document.querySelector<HTMLInputElement>('[data-testid="search-input"]')?.focus()
          return
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [navigate])
  if (!open) return null
  return (
    <Modal title="Keyboard shortcuts" onClose={() => setOpen(false)} testId="shortcuts-dialog">
      <dl className="shortcuts">
        <dt>
          <kbd className="kbd">?</kbd>
        </dt>
        <dd>This list</dd>
        <dt>
          <kbd className="kbd">n</kbd>
        </dt>
        <dd>New chat</dd>
        <dt>
          <kbd className="kbd">i</kbd>
        </dt>
        <dd>Focus the message box</dd>
        <dt>
          <kbd className="kbd">/</kbd>
        </dt>
        <dd>Search</dd>
        <dt>
          <kbd className="kbd">Enter</kbd> / <kbd className="kbd">Shift</kbd>+<kbd className="kbd">Enter</kbd>
        </dt>
        <dd>Send / new line (in the message box)</dd>
        <dt>
          <kbd className="kbd">Esc</kbd>
        </dt>
        <dd>Stop the running answer; close a dialog or the list drawer</dd>
        {routes
          .filter((r) => r.key && r.label)
          .map((r) => (
            <div key={r.path} style={{ display: 'contents' }}>
              <dt>
                <kbd className="kbd">g</kbd> <kbd className="kbd">{r.key}</kbd>
              </dt>
              <dd>Go to {r.label}</dd>
            </div>
          ))}
      </dl>
    </Modal>
  )
}
