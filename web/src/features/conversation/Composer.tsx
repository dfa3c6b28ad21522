// The message box: Enter sends, Shift+Enter starts a new line.

import { useEffect, useRef, useState, type KeyboardEvent } from 'react'

export function Composer({
  onSend,
  disabled,
  placeholder,
  busy,
  onStop,
  autoFocus,
  initialText,
  stopHint,
}: {
  onSend: (text: string) => Promise<unknown> | void
  disabled?: boolean
  placeholder?: string
  busy?: boolean
  onStop?: () => void
  /** Focus the box on mount, so opening a conversation lets one type at once. */
  autoFocus?: boolean
  /** The key that also stops, shown on the Stop button. */
  stopHint?: string
  /** Text waiting in the box when it opens (e.g. an eval case opened in chat). */
  initialText?: string
}) {
  const [text, setText] = useState(initialText ?? '')
  const box = useRef<HTMLTextAreaElement>(null)
  // Focus on mount, unless a dialog is open: a conversation that opens
  // behind the new-chat dialog must not take the keys typed into it.
  useEffect(() => {
    if (autoFocus && !document.querySelector('[role="dialog"]')) box.current?.focus()
  }, [autoFocus])
  const [sending, setSending] = useState(false)
  const submit = async () => {
    const t = text.trim()
    if (!t || disabled || sending) return
    setSending(true)
    try {
      await onSend(t)
      setText('')
    } finally {
      setSending(false)
    }
  }
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault()
      void submit()
    }
  }
  return (
    <div className="composer">
      <textarea
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
        placeholder={placeholder ?? 'Message…  (Enter to send, Shift+Enter for a new line)'}
        rows={Math.min(8, Math.max(2, text.split('\n').length))}
        disabled={disabled}
        ref={box}
        aria-label={placeholder ?? 'Message'}
        data-testid="composer-input"
      />
      <div className="composer-actions">
        {busy && onStop ? (
          <button className="button" onClick={onStop} data-testid="composer-stop">
            <span aria-hidden="true">■</span> Stop
            {stopHint && (
              <>
                {' '}
                <kbd className="kbd" aria-hidden="true">
                  {stopHint}
                </kbd>
              </>
            )}
          </button>
        ) : null}
        <button className="button button-primary" onClick={() => void submit()} disabled={disabled || sending || !text.trim()} data-testid="send-button">
          Send
        </button>
      </div>
    </div>
  )
}
