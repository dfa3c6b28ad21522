// Markdown, with the Markdown stack (react-markdown, remark-gfm: about a
// third of the app's code) loaded only when the first Markdown is shown.
// Until then the text shows as it is, so nothing jumps or waits.

import { lazy, Suspense } from 'react'

const View = lazy(() => import('./MarkdownView'))

export function Markdown({ text, className }: { text: string; className?: string }) {
  return (
    <div className={`markdown ${className ?? ''}`}>
      <Suspense fallback={<p className="markdown-plain">{text}</p>}>
        <View text={text} />
      </Suspense>
    </div>
  )
}
