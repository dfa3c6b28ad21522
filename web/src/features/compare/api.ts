// Queries of the compare feature: the columns (flow instances) of one comparison.

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
}
