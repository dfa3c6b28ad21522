// A chart drawn by Observable Plot (a well-kept charting library) inside a
// React element: Plot returns an SVG (or a figure), which replaces the
// previous one whenever the options change.
//
// The page's Content-Security-Policy allows no inline style, and Plot
// writes a <style> element and style attributes. So the chart is drawn in a
// separate, detached document, those are taken out (their look is in
// evals.css), and only then is the chart brought into the page.

import * as Plot from '@observablehq/plot'
import { useEffect, useRef } from 'react'

const scratch = typeof document === 'undefined' ? null : document.implementation.createHTMLDocument('plot')

export function PlotFigure({ options, label, testId }: { options: Plot.PlotOptions; label: string; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = ref.current
    if (!el || !scratch) return
    const drawn = Plot.plot({ ...options, document: scratch })
    drawn.querySelectorAll('style').forEach((s) => s.remove())
    for (const node of [drawn, ...drawn.querySelectorAll('[style]')]) node.removeAttribute('style')
    const chart = document.importNode(drawn, true)
    chart.setAttribute('aria-hidden', 'true')
    chart.classList.add('plot-chart')
    el.replaceChildren(chart)
    return () => chart.remove()
  }, [options])
  // The chart is a picture of numbers given in text beside it; the label
  // says what it shows for a screen reader.
  return <div className="plot-figure" ref={ref} role="img" aria-label={label} data-testid={testId} />
}

export { Plot }
