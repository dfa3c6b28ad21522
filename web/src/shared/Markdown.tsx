// Markdown, with the Markdown stack (react-markdown, remark-gfm: about a
// third of the app's code) in a chunk of its own. The shell starts loading
// it with the chat's data (preloadMarkdown), so on a first visit it is
// usually there when the first answer is; once loaded, every Markdown
// renders at once, without a fallback. Until then the text shows in
// paragraphs as Markdown would lay plain prose out, so a plain answer
// keeps its box when the renderer takes over.

import { useEffect, useState, type ComponentType } from 'react'

type View = ComponentType<{ text: string }>

let loaded: View | null = null
let loading: Promise<View> | null = null

function load(): Promise<View> {
  loading ??= import('./MarkdownView').then((m) => (loaded = m.default))
  return loading
}

/** Starts loading the Markdown renderer, so that it is ready by the time an answer is shown. */
export function preloadMarkdown(): void {
  load().catch(() => {
    // Shown as plain text; the next Markdown tries again.
    loading = null
  })
}

export function Markdown({ text, className }: { text: string; className?: string }) {
  const [View, setView] = useState<View | null>(() => loaded)
  useEffect(() => {
    if (View) return
    let live = true
    load().then(
      (v) => live && setView(() => v),
      () => {
        loading = null
      },
    )
    return () => {
      live = false
    }
  }, [View])
  return <div className={`markdown ${className ?? ''}`}>{View ? <View text={text} /> : <Plain text={text} />}</div>
}

/** Paragraphs split at blank lines, as Markdown renders plain prose. */
function Plain({ text }: { text: string }) {
  return (
    <>
      {text.split(/\n[ \t]*\n/).map((p, i) => (
        <p key={i} className="markdown-plain">
          {p}
        </p>
      ))}
    </>
  )
}
