// Queries of the flow configs feature. One config is also what a
// conversation shows in its header, so it is a shared query (api/queries.ts);
// this module names it for the editor.

import { sharedQueries } from '../../api/queries'

export const flowConfigQueries = {
  one: sharedQueries.flowConfig,
}
