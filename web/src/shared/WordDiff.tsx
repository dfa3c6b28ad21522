// A word diff of two texts; the diff library is loaded only when one is shown.

import { lazy, Suspense } from 'react'

const View = lazy(() => import('./WordDiffView'))

export function WordDiff({ from, to }: { from: string; to: string }) {
  return (
    <Suspense fallback={<p className="muted">Comparing…</p>}>
      <View from={from} to={to} />
    </Suspense>
  )
}
