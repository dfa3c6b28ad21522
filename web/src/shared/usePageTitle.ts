// Each page names itself in the tab title (the conversation's or the
// constitution's name where there is one), so tabs and history are findable.

import { useEffect } from 'react'

export function usePageTitle(...parts: (string | undefined | null | false)[]): void {
  const title = [...parts.filter(Boolean), 'Superego'].join(' — ')
  useEffect(() => {
    document.title = title
  }, [title])
}
