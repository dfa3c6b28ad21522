// Queries of the compare feature: the columns (flow instances) of one
// comparison, and a finished run's record (its timings, for a column
// loaded from history, where the live run_finished frame was not seen).

import { queryOptions } from '@tanstack/react-query'
import { qk } from '../../api/queryKeys'
import type { RestClient } from '../../api/restClient'

export const compareQueries = {
  columns: (api: RestClient, comparisonId: string | undefined) =>
    queryOptions({
      queryKey: qk.comparison(comparisonId ?? ''),
      queryFn: () => api.flowInstances.listByComparison(comparisonId!),
      enabled: !!comparisonId,
    }),
  // A finished run does not change, so it is read once.
  run: (api: RestClient, runId: string | undefined) =>
    queryOptions({
      queryKey: ['runs', runId ?? ''] as const,
      queryFn: () => api.runs.get(runId!),
      enabled: !!runId,
      staleTime: Infinity,
    }),
}
