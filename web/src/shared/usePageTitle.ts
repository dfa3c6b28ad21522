// Each page names itself in the tab title (the conversation's or the
// constitution's name where there is one), so tabs and history are findable.

import { useEffect } from 'react'

// With no part given (all falsy) it leaves the title alone: a page that
// hands the title to a child view (the chat to its conversation) must not
// overwrite it, and a parent's effect runs after its child's.
export function usePageTitle(...parts: (string | undefined | null | false)[]): void {
  const named = parts.filter(Boolean)
  const title = named.length ? [...named, 'Superego'].join(' — ') : ''
  useEffect(() => {
    if (title) document.title = title
  }, [title])
}
