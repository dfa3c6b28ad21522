// Small shared UI pieces: buttons, fields, dialogs and error notes.

import { useEffect, useRef, useState, type ReactNode } from 'react'
import { ApiError } from '../api/restClient'

export function ErrorNote({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null
  const msg = error instanceof Error ? error.message : String(error)
  return (
    <div className="error-note" role="alert" data-testid={testId ?? 'error-note'}>
      {msg}
    </div>
  )
}

/** The per-field message of a validation error, if the error has one for `field`. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fieldErrors()[field] : undefined
}

export function Field({ label, hint, error, children }: { label: string; hint?: ReactNode; error?: string; children: ReactNode }) {
  return (
    <label className={`field${error ? ' field-invalid' : ''}`}>
      <span className="field-label">{label}</span>
      {children}
      {hint && !error && <span className="field-hint">{hint}</span>}
      {error && <span className="field-error">{error}</span>}
    </label>
  )
}

export function Modal({ title, onClose, children, testId }: { title: string; onClose: () => void; children: ReactNode; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null)
  // Callers pass a fresh onClose on every render (and a conversation
  // re-renders on every streamed delta); reading it through a ref keeps the
  // mount effect below from running again and stealing focus mid-typing.
  const close = useRef(onClose)
  // Taken while rendering, before an autoFocus inside the dialog moves focus.
  const [opener] = useState(() => (document.activeElement instanceof HTMLElement ? document.activeElement : null))
  useEffect(() => {
    close.current = onClose
  }, [onClose])
  useEffect(() => {
    const dialog = ref.current
    const focusables = () => [...(dialog?.querySelectorAll<HTMLElement>(focusableSelector) ?? [])].filter((el) => !el.hasAttribute('disabled'))
    // An autoFocus child wins; else the first field, not the close button,
    // so typing can start at once.
    if (!dialog?.contains(document.activeElement)) (dialog?.querySelector<HTMLElement>('input, select, textarea') ?? focusables()[0])?.focus()
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        close.current()
        return
      }
      if (e.key !== 'Tab') return
      // Keep Tab inside the dialog: the page behind it is inert.
      const els = focusables()
      if (els.length === 0) return
      const first = els[0]
      const last = els[els.length - 1]
      if (e.shiftKey && (document.activeElement === first || !dialog?.contains(document.activeElement))) {
        e.preventDefault()
        last.focus()
      } else if (!e.shiftKey && (document.activeElement === last || !dialog?.contains(document.activeElement))) {
        e.preventDefault()
        first.focus()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => {
      window.removeEventListener('keydown', onKey)
      // Back to the button that opened the dialog, if it is still there.
      if (opener?.isConnected) opener.focus()
    }
  }, [opener])
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title} ref={ref} data-testid={testId}>
        <div className="modal-head">
          <h2>{title}</h2>
          <button className="icon-button" onClick={onClose} aria-label="Close">
            ×
          </button>
        </div>
        {children}
      </div>
    </div>
  )
}

const focusableSelector = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])'

export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  danger,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  title: string
  body: ReactNode
  confirmLabel: string
  danger?: boolean
  busy?: boolean
  error?: unknown
  onConfirm: () => void
  onCancel: () => void
}) {
  return (
    <Modal title={title} onClose={onCancel} testId="confirm-dialog">
      <div className="modal-body">{body}</div>
      <ErrorNote error={error} />
      <div className="modal-actions">
        {/* The safe choice has focus: Enter on a stray keypress does not delete. */}
        <button className="button" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button className={`button ${danger ? 'button-danger' : 'button-primary'}`} onClick={onConfirm} disabled={busy} data-testid="confirm-button">
          {confirmLabel}
        </button>
      </div>
    </Modal>
  )
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <h3>{title}</h3>
      {children}
    </div>
  )
}

export function relativeTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return ''
  const s = Math.round((Date.now() - t) / 1000)
  if (s < 45) return 'just now'
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86400) return `${Math.round(s / 3600)} h ago`
  return new Date(iso).toLocaleDateString()
}
