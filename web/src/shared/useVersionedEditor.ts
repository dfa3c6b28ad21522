// The edit / ETag / 412 state machine every editor page shares, written once.
//
// An editor holds a draft of a versioned object. It takes the server's copy
// when it has none yet or nothing was edited; a save sends If-Match with the
// ETag of the copy the draft started from, so an edit made elsewhere in the
// meantime becomes a 412 and a visible choice (reload theirs, or overwrite
// with ours) instead of a silent overwrite. Without an id the same hook
// creates a new object.

import { useMutation, useQuery, useQueryClient, type QueryKey, type UseQueryOptions } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { ApiError, etagOf, type WithETag } from '../api/restClient'
import { useUnsavedWarning } from './useUnsavedWarning'

/** What an editor of T (drafted as D) tells the hook. */
export interface VersionedEditorOptions<T extends { id: string; version: number }, D, K extends QueryKey = QueryKey> {
  /** The object's id; undefined makes this a "new" form. */
  id: string | undefined
  /** The query of one object with its ETag (enabled only with an id). */
  query: UseQueryOptions<WithETag<T>, Error, WithETag<T>, K>
  /** The list query's key, invalidated after every write. */
  listKey: QueryKey
  /** The draft of a stored object. */
  draftOf: (t: T) => D
  /** The draft a "new" form starts from. */
  initial?: D
  create?: (draft: D) => Promise<T>
  update: (id: string, draft: D, ifMatch: string | undefined) => Promise<T>
  remove: (id: string, ifMatch: string | undefined) => Promise<void>
  /** Called after a create (navigate to the new object, close the form). */
  onCreated?: (t: T) => void
  /** Called after a delete. */
  onRemoved?: () => void
}

/** The state an editor renders and the actions it calls. */
export interface VersionedEditor<T, D> {
  loaded: T | undefined
  loadError: unknown
  draft: D | null
  setDraft: (d: D) => void
  /** The draft differs from the copy it started from. */
  dirty: boolean
  /** The version the draft started from (a newer one may be loaded). */
  baseVersion: number | undefined
  /** A save hit 412: someone saved since the draft started. */
  conflict: boolean
  /** The last save succeeded and nothing was edited since. */
  saved: boolean
  saving: boolean
  saveError: unknown
  save: () => void
  /** Conflict choice: take the server's copy, dropping the edits. */
  reload: () => Promise<void>
  /** Conflict choice: save the edits over the server's copy. */
  overwrite: () => Promise<void>
  removing: boolean
  removeError: unknown
  remove: () => void
}

export function useVersionedEditor<T extends { id: string; version: number }, D, K extends QueryKey>(o: VersionedEditorOptions<T, D, K>): VersionedEditor<T, D> {
  const qc = useQueryClient()
  const q = useQuery(o.query)
  const loaded = q.data?.data
  const [draft, setDraftState] = useState<D | null>(o.id ? null : (o.initial ?? null))
  // The copy the draft started from: its ETag, version and draft form.
  const [base, setBase] = useState<{ etag: string; version: number; draft: D } | null>(null)
  const [conflict, setConflict] = useState(false)
  const [saved, setSaved] = useState(false)
  const dirty = !!(draft && base && JSON.stringify(draft) !== JSON.stringify(base.draft))
  useUnsavedWarning(dirty)

  const take = (fresh: WithETag<T>) => {
    const d = o.draftOf(fresh.data)
    setDraftState(d)
    setBase({ etag: fresh.etag || etagOf(fresh.data.version), version: fresh.data.version, draft: d })
  }

  // Take the server's copy when we have none yet or nothing was edited.
  useEffect(() => {
    if (q.data && (!draft || (!dirty && base?.etag !== q.data.etag))) take(q.data)
    // take is rebuilt every render; it only reads o.draftOf.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q.data, draft, dirty, base])

  const saveM = useMutation({
    mutationFn: (ifMatch: string | undefined) => (o.id ? o.update(o.id, draft!, ifMatch) : o.create!(draft!)),
    onSuccess: (t) => {
      setConflict(false)
      void qc.invalidateQueries({ queryKey: o.listKey })
      if (!o.id) {
        o.onCreated?.(t)
        return
      }
      setSaved(true)
      const fresh = { data: t, etag: etagOf(t.version) }
      qc.setQueryData<WithETag<T>>(o.query.queryKey as QueryKey, fresh)
      take(fresh)
    },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 412) setConflict(true)
    },
  })
  const removeM = useMutation({
    mutationFn: () => o.remove(o.id!, base?.etag),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: o.listKey })
      o.onRemoved?.()
    },
  })

  const refetch = async () => {
    const fresh = await qc.fetchQuery({ ...o.query, staleTime: 0 })
    return fresh
  }

  return {
    loaded,
    loadError: q.error,
    draft,
    setDraft: (d: D) => {
      setSaved(false)
      setDraftState(d)
    },
    dirty,
    baseVersion: base?.version,
    conflict,
    saved: saved && !dirty,
    saving: saveM.isPending,
    saveError: saveM.error,
    save: () => {
      setSaved(false)
      saveM.mutate(base?.etag)
    },
    reload: async () => {
      take(await refetch())
      setConflict(false)
      saveM.reset()
    },
    overwrite: async () => {
      const fresh = await refetch()
      saveM.mutate(fresh.etag)
    },
    removing: removeM.isPending,
    removeError: removeM.error,
    remove: () => removeM.mutate(),
  }
}
