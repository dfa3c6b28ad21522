// Query keys, one family per REST resource. A resource_changed event
// invalidates its whole family (lists, single objects, sub-resources).

export const qk = {
  models: ['models'] as const,
  constitutions: ['constitutions'] as const,
  constitution: (id: string) => ['constitutions', id] as const,
  constitutionVersions: (id: string) => ['constitutions', id, 'versions'] as const,
  constitutionVersion: (id: string, n: number) => ['constitutions', id, 'versions', n] as const,
  sysprompts: ['sysprompts'] as const,
  sysprompt: (id: string) => ['sysprompts', id] as const,
  flowConfigs: ['flow-configs'] as const,
  flowConfig: (id: string) => ['flow-configs', id] as const,
  flowTemplates: ['flow-templates'] as const,
  flowTemplate: (id: string) => ['flow-templates', id] as const,
  flowInstances: ['flow-instances'] as const,
  flowInstance: (id: string) => ['flow-instances', id] as const,
  comparison: (cid: string) => ['flow-instances', 'comparison', cid] as const,
  messages: (id: string) => ['messages', id] as const,
}

/** The query family a resource_changed event's `resource` name refers to. */
export function familyOf(resource: string): readonly string[] | null {
  switch (resource.replace(/-/g, '_')) {
    case 'constitution':
    case 'constitutions':
      return qk.constitutions
    case 'sysprompt':
    case 'sysprompts':
      return qk.sysprompts
    case 'flow_config':
    case 'flow_configs':
      return qk.flowConfigs
    case 'flow_template':
    case 'flow_templates':
      return qk.flowTemplates
    case 'flow_instance':
    case 'flow_instances':
      return qk.flowInstances
  }
  return null
}
