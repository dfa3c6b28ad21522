// React access to the tab's REST client and WebSocket client, created once
// by the app shell.

import { createContext, useContext } from 'react'
import type { RestClient } from './restClient'
import type { WebSocketClient } from './websocketClient'

export interface Clients {
  api: RestClient
  socket: WebSocketClient
}

export const ClientsContext = createContext<Clients | null>(null)

export function useClients(): Clients {
  const c = useContext(ClientsContext)
  if (!c) throw new Error('useClients outside <ClientsContext.Provider>')
  return c
}

export function useApi(): RestClient {
  return useClients().api
}

export function useSocket(): WebSocketClient {
  return useClients().socket
}
