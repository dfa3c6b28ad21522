// TanStack Query hooks for every REST read the UI makes. Writes are plain
// mutations in the features; resource_changed events keep these fresh.

import { useQuery } from '@tanstack/react-query'
import { useSyncExternalStore } from 'react'
import { useApi, useSocket } from './context'
import { qk } from './queryKeys'
import type { ConnectionState } from './websocketClient'

export function useModels() {
  const api = useApi()
  return useQuery({ queryKey: qk.models, queryFn: api.models, staleTime: 60_000 })
}

export function useConstitutions() {
  const api = useApi()
  return useQuery({ queryKey: qk.constitutions, queryFn: api.constitutions.list })
}

export function useConstitution(id: string | undefined) {
  const api = useApi()
  return useQuery({ queryKey: qk.constitution(id ?? ''), queryFn: () => api.constitutions.get(id!), enabled: !!id })
}

export function useConstitutionVersions(id: string | undefined) {
  const api = useApi()
  return useQuery({ queryKey: qk.constitutionVersions(id ?? ''), queryFn: () => api.constitutions.versions(id!), enabled: !!id })
}

export function useConstitutionVersion(id: string, n: number | undefined) {
  const api = useApi()
  return useQuery({
    queryKey: qk.constitutionVersion(id, n ?? 0),
    queryFn: () => api.constitutions.version(id, n!),
    enabled: !!id && !!n,
    staleTime: Infinity, // a stored version never changes
  })
}

export function useSysprompts() {
  const api = useApi()
  return useQuery({ queryKey: qk.sysprompts, queryFn: api.sysprompts.list })
}

export function useSysprompt(id: string | undefined) {
  const api = useApi()
  return useQuery({ queryKey: qk.sysprompt(id ?? ''), queryFn: () => api.sysprompts.get(id!), enabled: !!id })
}

export function useFlowConfigs() {
  const api = useApi()
  return useQuery({ queryKey: qk.flowConfigs, queryFn: api.flowConfigs.list })
}

export function useFlowConfig(id: string | undefined) {
  const api = useApi()
  return useQuery({ queryKey: qk.flowConfig(id ?? ''), queryFn: () => api.flowConfigs.get(id!), enabled: !!id })
}

export function useFlowTemplates() {
  const api = useApi()
  return useQuery({ queryKey: qk.flowTemplates, queryFn: api.flowTemplates.list })
}

export function useFlowTemplate(id: string | undefined) {
  const api = useApi()
  return useQuery({ queryKey: qk.flowTemplate(id ?? ''), queryFn: () => api.flowTemplates.get(id!), enabled: !!id })
}

export function useFlowInstances() {
  const api = useApi()
  return useQuery({ queryKey: qk.flowInstances, queryFn: api.flowInstances.list })
}

export function useFlowInstance(id: string | undefined) {
  const api = useApi()
  return useQuery({ queryKey: qk.flowInstance(id ?? ''), queryFn: () => api.flowInstances.get(id!), enabled: !!id })
}

export function useComparison(cid: string | undefined) {
  const api = useApi()
  return useQuery({ queryKey: qk.comparison(cid ?? ''), queryFn: () => api.flowInstances.listByComparison(cid!), enabled: !!cid })
}

export function useMessages(instanceId: string | undefined) {
  const api = useApi()
  return useQuery({
    queryKey: qk.messages(instanceId ?? ''),
    queryFn: () => api.flowInstances.messages(instanceId!),
    enabled: !!instanceId,
    // A run started in another tab (or by another client) reaches this tab
    // through no event: coming back to the tab re-reads the conversation,
    // and a run found still going is then followed live.
    refetchOnWindowFocus: 'always',
  })
}

/** The WebSocket's connection state, re-rendering on change. */
export function useConnectionState(): ConnectionState {
  const socket = useSocket()
  return useSyncExternalStore(socket.onState, socket.getState)
}
