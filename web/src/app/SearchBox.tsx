// Search across conversations, messages and constitutions, from the header
// ("/" focuses it). Results link to the message itself: the conversation
// opens scrolled to it (?message=<id>), or the comparison it is part of.

import { useQuery } from '@tanstack/react-query'
import { useEffect, useId, useRef, useState } from 'react'
import { Link, useLocation } from 'react-router'
import { useApi } from '../api/context'
import type { SearchHit } from '../api/types'

function hrefOf(h: SearchHit): string {
  if (h.kind === 'constitution') return `/constitutions/${h.id}`
  const msg = h.kind === 'message' ? `?message=${h.id}` : ''
  return h.comparison_id ? `/compare/${h.comparison_id}${msg}` : `/chat/${h.flow_instance_id}${msg}`
}

const kinds: Record<string, string> = { message: 'Message', conversation: 'Conversation', constitution: 'Constitution' }

export function SearchBox() {
  const api = useApi()
  const [text, setText] = useState('')
  const [q, setQ] = useState('')
  const [open, setOpen] = useState(false)
  const listId = useId()
  const box = useRef<HTMLFormElement>(null)
  const location = useLocation()
  // Wait for a pause in typing before asking the server.
  useEffect(() => {
    const t = setTimeout(() => setQ(text.trim()), 200)
    return () => clearTimeout(t)
  }, [text])
  useEffect(() => setOpen(false), [location.pathname, location.search])
  const results = useQuery({ queryKey: ['search', q], queryFn: () => api.search(q), enabled: q.length > 0, staleTime: 5_000 })
  const hits = results.data ?? []
  return (
    <form
      className="search-form"
      role="search"
      ref={box}
      onSubmit={(e) => {
        e.preventDefault()
        setQ(text.trim())
        setOpen(true)
      }}
      onBlur={(e) => {
        if (!box.current?.contains(e.relatedTarget as Node | null)) setOpen(false)
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.preventDefault()
          setOpen(false)
        }
      }}
    >
      <input
        type="search"
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          setOpen(true)
        }}
        onFocus={() => setOpen(true)}
        placeholder="Search…  ( / )"
        aria-label="Search conversations, messages and constitutions"
        aria-controls={open && q ? listId : undefined}
        data-testid="search-input"
      />
      {open && q && (
        <div className="search-results" id={listId} data-testid="search-results">
          {results.isLoading && <p className="muted pad">Searching…</p>}
          {results.error && <p className="pad">{String((results.error as Error).message)}</p>}
          {results.data && hits.length === 0 && <p className="muted pad">Nothing found for “{q}”.</p>}
          <ul>
            {hits.map((h) => (
              <li key={`${h.kind}-${h.id}`}>
                <Link to={hrefOf(h)} data-testid="search-hit" data-kind={h.kind} data-id={h.id}>
                  <span className="search-kind">{kinds[h.kind] ?? h.kind}</span>
                  <strong>{h.title}</strong>
                  {h.role && <span className="muted"> · {h.role}</span>}
                  {h.kind !== 'conversation' && <span className="search-snippet">{h.snippet}</span>}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  )
}
