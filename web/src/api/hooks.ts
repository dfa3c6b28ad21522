// Hooks over the shared query options (see queries.ts) and the socket's
// connection state. Writes are mutations in the features; resource_changed
// events keep these fresh.

import { useQuery } from '@tanstack/react-query'
import { useSyncExternalStore } from 'react'
import { useApi, useSocket } from './context'
import { sharedQueries } from './queries'
import type { ConnectionState } from './websocketClient'

export function useModels() {
  return useQuery(sharedQueries.models(useApi()))
}

export function useConstitutions() {
  return useQuery(sharedQueries.constitutions(useApi()))
}

export function useSysprompts() {
  return useQuery(sharedQueries.sysprompts(useApi()))
}

export function useFlowConfigs() {
  return useQuery(sharedQueries.flowConfigs(useApi()))
}

export function useFlowConfig(id: string | undefined) {
  return useQuery(sharedQueries.flowConfig(useApi(), id))
}

export function useFlowTemplates() {
  return useQuery(sharedQueries.flowTemplates(useApi()))
}

export function useFlowInstances() {
  return useQuery(sharedQueries.flowInstances(useApi()))
}

export function useFlowInstance(id: string | undefined) {
  return useQuery(sharedQueries.flowInstance(useApi(), id))
}

/** The WebSocket's connection state, re-rendering on change. */
export function useConnectionState(): ConnectionState {
  const socket = useSocket()
  return useSyncExternalStore(socket.onState, socket.getState)
}
