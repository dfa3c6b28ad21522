// Asks the browser to confirm before a reload or a closed tab throws away an
// edit that was not saved (a long constitution, say). In-app navigation is
// not guarded: BrowserRouter has no blocker, and leaving a form there keeps
// the draft only until the editor unmounts.

import { useEffect } from 'react'

export function useUnsavedWarning(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault()
    }
    window.addEventListener('beforeunload', onBeforeUnload)
    return () => window.removeEventListener('beforeunload', onBeforeUnload)
  }, [dirty])
}
