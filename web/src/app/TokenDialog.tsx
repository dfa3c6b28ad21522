// Shown when the server answers 401: it runs with --api-token and this
// browser has no (or a wrong) token yet.

import { useState } from 'react'
import { Field, Modal } from '../shared/ui'
import { saveToken } from './token'

export function TokenDialog() {
  const [token, setToken] = useState('')
  return (
    <Modal title="This server needs an API token" onClose={() => {}} testId="token-dialog">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault()
          if (!token.trim()) return
          saveToken(token.trim())
          window.location.reload()
        }}
      >
        <p className="muted">It was started with --api-token. The token is kept in this browser only.</p>
        <Field label="API token">
          <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" data-testid="token-input" />
        </Field>
        <div className="modal-actions">
          <button className="button button-primary" type="submit" disabled={!token.trim()}>
            Use token
          </button>
        </div>
      </form>
    </Modal>
  )
}
