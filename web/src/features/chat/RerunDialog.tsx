// "Rerun with…": fork the conversation at a user message and run it again
// with another constitution, system prompt or with the superego on/off.

import { useState } from 'react'
import { useNavigate } from 'react-router'
import { useApi, useSocket } from '../../api/context'
import { useConstitutions, useSysprompts } from '../../api/hooks'
import type { FlowConfig } from '../../api/types'
import type { Message, RerunFrame } from '../../api/wsTypes'
import { ErrorNote, Field, Modal } from '../../shared/ui'

export function RerunDialog({ message, config, onClose }: { message: Message; config?: FlowConfig; onClose: () => void }) {
  const socket = useSocket()
  const api = useApi()
  const navigate = useNavigate()
  const constitutions = useConstitutions()
  const sysprompts = useSysprompts()
  const [constitutionId, setConstitutionId] = useState(config?.constitution_id ?? '')
  const [syspromptId, setSyspromptId] = useState(config?.sysprompt_id ?? '')
  const [superego, setSuperego] = useState(config?.superego_enabled ?? true)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  const submit = async () => {
    setBusy(true)
    setError(null)
    const frame: Omit<RerunFrame, 'request_id'> = { type: 'rerun', message_id: message.id }
    // Only what differs from the config is an override.
    if (constitutionId && constitutionId !== config?.constitution_id) frame.constitution_id = constitutionId
    if (syspromptId && syspromptId !== config?.sysprompt_id) frame.sysprompt_id = syspromptId
    if (superego !== (config?.superego_enabled ?? true)) frame.superego_enabled = superego
    try {
      const acc = await socket.request(frame)
      const run = await api.runs.get(acc.run_ids[0])
      onClose()
      navigate(`/chat/${run.flow_instance_id}`)
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  return (
    <Modal title="Rerun with…" onClose={onClose} testId="rerun-dialog">
      <blockquote className="quoted">{message.content}</blockquote>
      <p className="muted">A new conversation is forked with the history up to this message, then run again with these settings. The original stays untouched.</p>
      <div className="form">
        <Field label="Constitution">
          <select value={constitutionId} onChange={(e) => setConstitutionId(e.target.value)} data-testid="rerun-constitution">
            {constitutions.data?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
                {c.id === config?.constitution_id ? ' (current)' : ''}
              </option>
            ))}
          </select>
        </Field>
        <Field label="System prompt">
          <select value={syspromptId} onChange={(e) => setSyspromptId(e.target.value)} data-testid="rerun-sysprompt">
            {sysprompts.data?.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
                {s.id === config?.sysprompt_id ? ' (current)' : ''}
              </option>
            ))}
          </select>
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={superego} onChange={(e) => setSuperego(e.target.checked)} data-testid="rerun-superego" />
          Superego enabled
        </label>
      </div>
      <ErrorNote error={error} />
      <div className="modal-actions">
        <button className="button" onClick={onClose}>
          Cancel
        </button>
        <button className="button button-primary" onClick={() => void submit()} disabled={busy} data-testid="rerun-submit">
          Rerun in a fork
        </button>
      </div>
    </Modal>
  )
}
