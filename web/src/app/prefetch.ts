// What the chat page reads, asked for as the shell starts: on a slow
// network the requests then go out beside the page's own code instead of
// after it has arrived and run, and the Markdown renderer loads meanwhile,
// so an answer is laid out once, not as plain text first (a layout shift).

import type { QueryClient } from '@tanstack/react-query'
import { sharedQueries } from '../api/queries'
import type { RestClient } from '../api/restClient'
import { preloadMarkdown } from '../shared/Markdown'

/** Prefetches the data of the page at path when it is a conversation (/chat or /compare). */
export function prefetchFor(path: string, qc: QueryClient, api: RestClient): void {
  const chat = /^\/chat(?:\/([^/?#]+))?\/?$/.exec(path)
  if (!chat && !path.startsWith('/compare')) return
  preloadMarkdown()
  if (!chat) return
  void qc.prefetchQuery(sharedQueries.flowInstances(api))
  void qc.prefetchQuery(sharedQueries.constitutions(api))
  void qc.prefetchQuery(sharedQueries.sysprompts(api))
  const id = chat[1] && decodeURIComponent(chat[1])
  if (!id) return
  // Its messages are left to the conversation view: read here, before the
  // view watches the instance, the tab no longer caught up with a run that
  // another tab started (e2e 12), so only the instance itself is read early.
  void qc.prefetchQuery(sharedQueries.flowInstance(api, id))
}
