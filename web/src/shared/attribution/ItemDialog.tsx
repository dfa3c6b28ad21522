// One verdict of an attribution explained: what each section does to it,
// whether its citation is faithful, and every stored call with its
// thinking. The eval's "Attribute" panel opens it on one attributed row, so
// a researcher can read the calls behind a heatmap cell without going to
// REST; it shows the same views as the Why dialog's result.

import { useQuery } from '@tanstack/react-query'
import { attributionQueries } from '../../api/attributions'
import { useApi } from '../../api/context'
import { ErrorNote, Modal } from '../ui'
import { CallList, SectionEffects } from './WhyDialog'
import './attribution.css'

export function ItemDialog({ attributionId, item, onClose }: { attributionId: string; item: number; onClose: () => void }) {
  const api = useApi()
  const q = useQuery(attributionQueries.item(api, attributionId, item))
  const it = q.data?.item
  const headings = Object.fromEntries((it?.sections ?? []).map((s) => [s.id, s.heading]))
  return (
    <Modal title="One verdict explained" onClose={onClose} testId="attribute-item-dialog">
      <div className="modal-body why-body">
        {q.isPending && <p className="muted">Reading the calls…</p>}
        <ErrorNote error={q.error} />
        {it && (
          <p className="small">
            <q>{it.input}</q>
            {it.category ? ` · ${it.category}` : ''} · {it.calls} calls
          </p>
        )}
        {it?.finished ? <SectionEffects item={it} /> : it && <p className="muted small">Not every call of this verdict was made.</p>}
        {q.data && q.data.calls.length > 0 && <CallList calls={q.data.calls} headings={headings} />}
      </div>
    </Modal>
  )
}
