// Queries of the chat feature. The conversation list and one conversation's
// flow instance are also read by Compare, so they are shared queries
// (api/queries.ts); this module names the ones the chat reads.

import { sharedQueries } from '../../api/queries'

export const chatQueries = {
  instances: sharedQueries.flowInstances,
  instance: sharedQueries.flowInstance,
}
