// A chart drawn by Observable Plot (a well-kept charting library) inside a
// React element: Plot returns an SVG (or a figure), which replaces the
// previous one whenever the options change.

import * as Plot from '@observablehq/plot'
import { useEffect, useRef } from 'react'

export function PlotFigure({ options, label, testId }: { options: Plot.PlotOptions; label: string; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = ref.current
    if (!el) return
    const chart = Plot.plot(options)
    chart.setAttribute('aria-hidden', 'true')
    el.replaceChildren(chart)
    return () => chart.remove()
  }, [options])
  // The chart is a picture of numbers given in text beside it; the label
  // says what it shows for a screen reader.
  return <div className="plot-figure" ref={ref} role="img" aria-label={label} data-testid={testId} />
}

export { Plot }
