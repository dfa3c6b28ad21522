// Export a constitution with its history (JSONL, Markdown); import a
// Markdown file as a new constitution.

import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { useApi } from '../../api/context'
import { qk } from '../../api/queryKeys'
import type { Constitution } from '../../api/types'
import { download, fileSlug } from '../../shared/download'
import { FileButton } from '../../shared/FileButton'
import { ErrorNote } from '../../shared/ui'
import { constitutionFromMarkdown, constitutionJsonl, constitutionMarkdown } from './exportFormat'

export function ExportButtons({ constitution }: { constitution: Constitution }) {
  const api = useApi()
  const [error, setError] = useState<unknown>(null)
  const run = async (format: 'jsonl' | 'md') => {
    setError(null)
    try {
      const versions = await api.constitutions.versions(constitution.id)
      if (format === 'jsonl') download(`${fileSlug(constitution.id)}.jsonl`, constitutionJsonl(constitution, versions), 'application/x-ndjson')
      else download(`${fileSlug(constitution.id)}.md`, constitutionMarkdown(constitution, versions), 'text/markdown')
    } catch (e) {
      setError(e)
    }
  }
  return (
    <>
      <button className="button" onClick={() => void run('jsonl')} data-testid="export-jsonl">
        Export JSONL
      </button>
      <button className="button" onClick={() => void run('md')} data-testid="export-markdown">
        Export Markdown
      </button>
      <ErrorNote error={error} />
    </>
  )
}

export function ImportConstitution() {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const imp = useMutation({
    mutationFn: ({ text, file }: { text: string; file: string }) => {
      const { name, content } = constitutionFromMarkdown(text, file)
      return api.constitutions.create({ name, description: `Imported from ${file}`, content })
    },
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: qk.constitutions })
      navigate(`/constitutions/${c.id}`)
    },
  })
  return (
    <>
      <FileButton accept=".md,.markdown,.txt,text/markdown,text/plain" onText={(text, file) => imp.mutate({ text, file })} testId="import-constitution">
        Import .md
      </FileButton>
      {imp.error && <ErrorNote error={imp.error} testId="import-error" />}
    </>
  )
}
