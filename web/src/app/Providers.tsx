// Creates the tab's clients once (one REST client, one WebSocket) and keeps
// server state fresh: every resource_changed event invalidates the queries of
// that resource, so all open tabs follow each other's edits.

import { MutationCache, QueryCache, QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState, type ReactNode } from 'react'
import { ClientsContext, useSocket, type Clients } from '../api/context'
import { familyOf, qk } from '../api/queryKeys'
import { ApiError, createRestClient } from '../api/restClient'
import { defaultSocketURL, WebSocketClient } from '../api/websocketClient'
import { prefetchFor } from './prefetch'
import { readToken } from './token'
import { TokenDialog } from './TokenDialog'

function makeClients(): Clients {
  const token = readToken()
  return {
    api: createRestClient({ token: () => token }),
    socket: new WebSocketClient({ url: defaultSocketURL(), token: () => token }),
  }
}

function makeQueryClient(onUnauthorized: () => void): QueryClient {
  const onError = (err: unknown) => {
    if (err instanceof ApiError && err.status === 401) onUnauthorized()
  }
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // A 4xx will not get better by asking again.
        retry: (n, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && n < 2,
      },
    },
  })
}

export function Providers({ children }: { children: ReactNode }) {
  const [clients] = useState(makeClients)
  const [needToken, setNeedToken] = useState(false)
  const [queryClient] = useState(() => makeQueryClient(() => setNeedToken(true)))
  useEffect(() => {
    clients.socket.connect()
    return () => clients.socket.close()
  }, [clients])
  useEffect(() => prefetchFor(window.location.pathname, queryClient, clients.api), [clients, queryClient])
  return (
    <ClientsContext.Provider value={clients}>
      <QueryClientProvider client={queryClient}>
        <LiveUpdates />
        {children}
        {needToken && <TokenDialog />}
      </QueryClientProvider>
    </ClientsContext.Provider>
  )
}

function LiveUpdates() {
  const socket = useSocket()
  const qc = useQueryClient()
  useEffect(() => {
    let wasOpen = false
    const offEvents = socket.onEvent((e) => {
      if (e.type === 'resource_changed') {
        const family = familyOf(e.resource)
        if (family) void qc.invalidateQueries({ queryKey: family })
        // An instance that changed may have new messages (if the server
        // announces runs that way), so its open conversation re-reads them.
        if (family === qk.flowInstances && e.id) void qc.invalidateQueries({ queryKey: qk.messages(e.id) })
      } else if (e.type === 'accepted' || e.type === 'run_finished') {
        // Runs create instances (forks, comparison columns) and change
        // message counts without a resource_changed of their own.
        void qc.invalidateQueries({ queryKey: qk.flowInstances })
      }
    })
    // After a reconnect we may have missed notifications: refresh everything.
    const offState = socket.onState((s) => {
      if (s === 'open' && wasOpen) void qc.invalidateQueries()
      if (s === 'open') wasOpen = true
    })
    return () => {
      offEvents()
      offState()
    }
  }, [socket, qc])
  return null
}

