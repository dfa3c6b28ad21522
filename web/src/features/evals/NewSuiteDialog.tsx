// A new, empty suite: its name and where its cases come from; the cases
// are imported next, on the suite's page.

import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { useApi } from '../../api/context'
import { evalKeys, evalsApi } from '../../api/evals'
import { ErrorNote, Field, fieldError, Modal } from '../../shared/ui'

export function NewSuiteDialog({ onClose }: { onClose: () => void }) {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const [name, setName] = useState('')
  const [source, setSource] = useState('')
  const [license, setLicense] = useState('')
  const create = useMutation({
    mutationFn: () => evalsApi.createSuite(api, { name, description: '', source, license, cases: [] }),
    onSuccess: (s) => {
      void qc.invalidateQueries({ queryKey: evalKeys.suites })
      onClose()
      navigate(`/evals/suites/${s.id}?import=1`)
    },
  })
  return (
    <Modal title="New suite" onClose={onClose} testId="new-suite-dialog">
      <form
        className="form modal-body"
        onSubmit={(e) => {
          e.preventDefault()
          create.mutate()
        }}
      >
        <Field label="Name" error={fieldError(create.error, 'name')}>
          <input value={name} onChange={(e) => setName(e.target.value)} required data-testid="suite-name" />
        </Field>
        <Field label="Source" hint="Where the cases come from (attribution).">
          <input value={source} onChange={(e) => setSource(e.target.value)} />
        </Field>
        <Field label="License">
          <input value={license} onChange={(e) => setLicense(e.target.value)} />
        </Field>
        <ErrorNote error={create.error} />
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button className="button button-primary" disabled={!name.trim() || create.isPending} data-testid="create-suite">
            Create and import cases
          </button>
        </div>
      </form>
    </Modal>
  )
}
