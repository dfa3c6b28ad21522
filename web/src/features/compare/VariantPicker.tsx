// Variants of one config for a new comparison: pick a config, then which
// assistant starts and which output screenings to try; each combination
// becomes a column (a stored config that runs alike is reused, otherwise
// one is made), so one input shows the time and the verdicts each choice
// gives.

import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useApi } from '../../api/context'
import { qk } from '../../api/queryKeys'
import type { FlowConfig } from '../../api/types'
import { ErrorNote } from '../../shared/ui'
import { existingConfig, screens, starts, variantDraft, variantsOf, type Screen, type Start } from './variants'

export function VariantPicker({ configs, onChosen }: { configs: readonly FlowConfig[]; onChosen: (ids: string[]) => void }) {
  const api = useApi()
  const client = useQueryClient()
  const [baseId, setBaseId] = useState('')
  const [chosenStarts, setStarts] = useState<Start[]>(['after_verdict', 'speculative'])
  const [chosenScreens, setScreens] = useState<Screen[]>(['off'])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const base = configs.find((c) => c.id === baseId)
  const variants = variantsOf(chosenStarts, chosenScreens)
  const toggle = <T,>(list: T[], v: T) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v])
  const use = async () => {
    if (!base) return
    setBusy(true)
    setError(null)
    try {
      const ids: string[] = []
      let made = false
      for (const v of variants) {
        const draft = variantDraft(base, v)
        const found = existingConfig(configs, draft)
        if (found) ids.push(found.id)
        else {
          ids.push((await api.flowConfigs.create(draft)).id)
          made = true
        }
      }
      if (made) await client.invalidateQueries({ queryKey: qk.flowConfigs })
      onChosen(ids)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  const ok = !!base && variants.length >= 2 && variants.length <= 8
  return (
    <fieldset className="variant-picker" data-testid="variant-picker">
      <legend>Or try one config several ways</legend>
      <label className="variant-base">
        <span>Config</span>
        <select value={baseId} onChange={(e) => setBaseId(e.target.value)} data-testid="variant-base">
          <option value="">Choose…</option>
          {configs.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <div className="variant-axes">
        <span className="variant-axis" role="group" aria-label="Assistant starts">
          <span className="muted small">Assistant starts</span>
          {starts.map((s) => (
            <label key={s.value}>
              <input type="checkbox" checked={chosenStarts.includes(s.value)} onChange={() => setStarts((l) => toggle(l, s.value))} data-testid={`variant-start-${s.value}`} /> {s.label}
            </label>
          ))}
        </span>
        <span className="variant-axis" role="group" aria-label="Output screening">
          <span className="muted small">Output screening</span>
          {screens.map((s) => (
            <label key={s.value}>
              <input type="checkbox" checked={chosenScreens.includes(s.value)} onChange={() => setScreens((l) => toggle(l, s.value))} data-testid={`variant-screen-${s.value}`} /> {s.label}
            </label>
          ))}
        </span>
      </div>
      <button className="button" onClick={() => void use()} disabled={!ok || busy} data-testid="variant-use">
        Compare {variants.length} variant{variants.length === 1 ? '' : 's'}
      </button>
      <ErrorNote error={error} />
    </fieldset>
  )
}
