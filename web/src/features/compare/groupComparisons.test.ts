import { describe, expect, it } from 'vitest'
import type { FlowInstance } from '../../api/types'
import { groupComparisons } from './groups'

function inst(id: string, comparison: string | undefined, name: string, created: string): FlowInstance {
  return {
    id,
    name,
    comparison_id: comparison,
    created_at: created,
    updated_at: created,
    version: 1,
    description: '',
    flow_config_id: 'standard',
    message_count: 0,
    last_message_at: null,
  }
}

describe('groupComparisons', () => {
  it('groups columns by comparison, newest comparison first, named once', () => {
    const groups = groupComparisons([
      inst('a1', 'c1', 'Tea · Standard', '2026-01-01T10:00:00Z'),
      inst('solo', undefined, 'A chat', '2026-01-03T10:00:00Z'),
      inst('b1', 'c2', 'Later · Standard', '2026-01-02T10:00:00Z'),
      inst('a2', 'c1', 'Tea · No Superego', '2026-01-01T10:00:01Z'),
      inst('b2', 'c2', 'Other name', '2026-01-02T10:00:01Z'),
    ])
    expect(groups.map((g) => g.id)).toEqual(['c2', 'c1'])
    expect(groups[1].instances.map((i) => i.id)).toEqual(['a1', 'a2'])
    expect(groups[1].title).toBe('Tea')
    expect(groups[0].title).toBe('Later · Standard vs Other name')
  })
})
