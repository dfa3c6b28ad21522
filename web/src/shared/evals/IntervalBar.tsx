// A rate with its 95 % Wilson interval drawn as a bar: the interval as a
// thick rule on a 0–100 % axis, the value as a tick.

import { useMemo } from 'react'
import { interval, pct, type RateLike } from './reading'
import { Plot, PlotFigure } from './PlotFigure'

export function IntervalBar({ rate, label, color }: { rate: RateLike; label: string; color: string }) {
  const options = useMemo<Plot.PlotOptions>(
    () => ({
      width: 200,
      height: 34,
      marginLeft: 6,
      marginRight: 10,
      marginTop: 4,
      marginBottom: 18,
      x: { domain: [0, 1], tickFormat: '.0%', ticks: [0, 0.5, 1] },
      y: { axis: null },
      marks: rate.n
        ? [
            Plot.ruleX([0, 1], { stroke: 'currentColor', strokeOpacity: 0.15 }),
            Plot.ruleY([0], { x1: rate.low, x2: rate.high, stroke: color, strokeWidth: 8, strokeOpacity: 0.45 }),
            Plot.tickX([rate.value], { stroke: color, strokeWidth: 3 }),
          ]
        : [Plot.ruleX([0, 1], { stroke: 'currentColor', strokeOpacity: 0.15 })],
    }),
    [rate.n, rate.low, rate.high, rate.value, color],
  )
  return <PlotFigure options={options} label={rate.n ? `${label}: ${pct(rate)}, 95 % interval ${interval(rate)}` : `${label}: no cases`} />
}
