// "Wrong verdict?" on a superego card: choose the decision it should have
// made and add a note; the user's message becomes a case of the Feedback
// suite (created on first use), tied to the conversation, the constitution
// version and the model. A flagged card says so.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { useApi } from '../../api/context'
import { evalKeys, evalQueries, feedbackCaseId, feedbackSuiteId, flagVerdict } from '../../api/evals'
import { expectedLabels, type Expected } from '../../api/evalTypes'
import { ErrorNote, Field, Modal } from '../../shared/ui'
import type { Turn } from './turns'

/** The cases of the Feedback suite, read once per page and shared by every card. */
function useFeedbackCases() {
  const api = useApi()
  return useQuery({ ...evalQueries.cases(api, feedbackSuiteId), retry: false, staleTime: 30_000 })
}

export function FlagVerdict({ turn }: { turn: Turn }) {
  const api = useApi()
  const qc = useQueryClient()
  const cases = useFeedbackCases()
  const [open, setOpen] = useState(false)
  const s = turn.superego
  const decided = s?.decision ?? ''
  const [expected, setExpected] = useState<Expected>(decided === 'ALLOW' ? 'NOT_ALLOW' : 'ALLOW')
  const [note, setNote] = useState('')
  const user = turn.user
  const flagged = user ? cases.data?.find((c) => c.id === feedbackCaseId(user.id)) : undefined
  const flag = useMutation({
    mutationFn: () =>
      flagVerdict(api, {
        messageId: user!.id,
        instanceId: turn.flowInstanceId,
        input: user!.content,
        expected,
        decided,
        note,
        constitution: s?.constitutionId ? `${s.constitutionId}@${s.constitutionVersion ?? ''}` : '',
        model: s?.model ?? '',
      }),
    onSuccess: () => {
      setOpen(false)
      void qc.invalidateQueries({ queryKey: evalKeys.suites })
    },
  })
  if (!user || !s?.decision || s.decision === 'ERROR') return null
  return (
    <>
      {flagged ? (
        <span className="flagged small" data-testid="flagged">
          Flagged: should be {flagged.expected} ·{' '}
          <Link to={`/evals/suites/${feedbackSuiteId}`} className="link-button">
            Feedback suite
          </Link>
        </span>
      ) : (
        <button className="link-button muted" onClick={() => setOpen(true)} data-testid="flag-verdict">
          Wrong verdict?
        </button>
      )}
      {open && (
        <Modal title="Flag a wrong verdict" onClose={() => setOpen(false)} testId="flag-dialog">
          <form
            className="form modal-body"
            onSubmit={(e) => {
              e.preventDefault()
              flag.mutate()
            }}
          >
            <p className="small">
              The superego decided <strong>{decided}</strong>. The message becomes a case of the Feedback suite, with the constitution version and model it ran under.
            </p>
            <Field label="It should have been">
              <select value={expected} onChange={(e) => setExpected(e.target.value as Expected)} data-testid="flag-expected">
                {expectedLabels.map((l) => (
                  <option key={l}>{l}</option>
                ))}
              </select>
            </Field>
            <Field label="Note">
              <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={3} data-testid="flag-note" />
            </Field>
            <ErrorNote error={flag.error} />
            <div className="modal-actions">
              <button type="button" className="button" onClick={() => setOpen(false)}>
                Cancel
              </button>
              <button className="button button-primary" disabled={flag.isPending} data-testid="flag-submit">
                Add to Feedback
              </button>
            </div>
          </form>
        </Modal>
      )}
    </>
  )
}
