import { describe, expect, it } from 'vitest'
import { familyOf, qk } from './queryKeys'

describe('familyOf', () => {
  it('maps every resource_changed resource name to its query family', () => {
    // The server names resources in snake_case singular (httpapi/common.go).
    expect(familyOf('constitution')).toEqual(qk.constitutions)
    expect(familyOf('sysprompt')).toEqual(qk.sysprompts)
    expect(familyOf('flow_config')).toEqual(qk.flowConfigs)
    expect(familyOf('flow_template')).toEqual(qk.flowTemplates)
    expect(familyOf('flow_instance')).toEqual(qk.flowInstances)
    // The REST path spelling works too.
    expect(familyOf('flow-configs')).toEqual(qk.flowConfigs)
    expect(familyOf('something_else')).toBeNull()
  })

  it('covers the single-object and sub-resource keys by prefix', () => {
    expect(qk.constitutionVersions('strict').slice(0, 1)).toEqual(qk.constitutions)
    expect(qk.comparison('c1').slice(0, 1)).toEqual(qk.flowInstances)
  })
})
