// A button that opens a file picker and hands over the chosen file's text.

import { useRef, type ReactNode } from 'react'

export function FileButton({ accept, onText, children, testId }: { accept: string; onText: (text: string, name: string) => void; children: ReactNode; testId?: string }) {
  const input = useRef<HTMLInputElement>(null)
  return (
    <>
      <button className="button button-small" type="button" onClick={() => input.current?.click()} data-testid={testId}>
        {children}
      </button>
      <input
        ref={input}
        type="file"
        accept={accept}
        hidden
        aria-hidden="true"
        tabIndex={-1}
        data-testid={testId ? `${testId}-file` : undefined}
        onChange={(e) => {
          const f = e.target.files?.[0]
          e.target.value = ''
          if (f) void f.text().then((t) => onText(t, f.name))
        }}
      />
    </>
  )
}
