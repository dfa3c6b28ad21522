// Queries of the flow templates feature.

import { queryOptions } from '@tanstack/react-query'
import { qk } from '../../api/queryKeys'
import type { RestClient } from '../../api/restClient'

export const flowTemplateQueries = {
  one: (api: RestClient, id: string | undefined) =>
    queryOptions({ queryKey: qk.flowTemplate(id ?? ''), queryFn: () => api.flowTemplates.get(id!), enabled: !!id }),
}
