import { describe, expect, it } from 'vitest'
import type { FlowInstance, Message } from '../../api/types'
import { conversationJsonl, conversationMarkdown, parseConversationJsonl } from './exportFormat'

const instance = { id: 'inst1', flow_config_id: 'standard', name: 'Tea', description: '', message_count: 2, last_message_at: 't2', created_at: 't0', updated_at: 't0', version: 1 } as FlowInstance
const msg = (id: string, role: string, position: number, content: string): Message => ({
  id,
  flow_instance_id: 'inst1',
  run_id: 'r1',
  position,
  role,
  content,
  status: 'complete',
  created_at: 't1',
  updated_at: 't1',
  usage: { input_tokens: 1, output_tokens: 2 },
  timings: { total_ms: 3 },
  ...(role === 'superego' ? { decision: 'CAUTION', reason: 'careful', constitution_id: 'default', constitution_version: 2 } : {}),
})

describe('conversation JSONL', () => {
  it('parses back to exactly what was exported', () => {
    const data = { instance, messages: [msg('u1', 'user', 1, 'line one\nline "two"'), msg('s1', 'superego', 2, 'DECISION: CAUTION'), msg('a1', 'assistant', 3, 'ok')] }
    const text = conversationJsonl(data)
    expect(text.trimEnd().split('\n')).toHaveLength(4)
    expect(parseConversationJsonl(text)).toEqual(data)
  })
  it('says which line is wrong', () => {
    expect(() => parseConversationJsonl('{"type":"flow_instance","flow_instance":{}}\nnot json')).toThrow('line 2')
    expect(() => parseConversationJsonl('{"type":"message","message":{}}')).toThrow('no flow_instance')
  })
})

describe('conversation Markdown', () => {
  it('has the name, each message in order, the decision and its constitution', () => {
    const md = conversationMarkdown({ instance, messages: [msg('a1', 'assistant', 3, 'The answer'), msg('u1', 'user', 1, 'The question'), msg('s1', 'superego', 2, '')] }, (id) => (id === 'default' ? 'Default rules' : id))
    expect(md.startsWith('# Tea\n')).toBe(true)
    expect(md.indexOf('The question')).toBeLessThan(md.indexOf('CAUTION'))
    expect(md.indexOf('CAUTION')).toBeLessThan(md.indexOf('The answer'))
    expect(md).toContain('constitution Default rules v2')
    expect(md).not.toContain('Sent:')
  })
  it('names the parameters each call sent', () => {
    const s = { ...msg('s1', 'superego', 2, ''), params: { temperature: 0.3 } }
    const a = { ...msg('a1', 'assistant', 3, 'The answer'), params: { max_tokens: 6, thinking_budget: 2048 } }
    const md = conversationMarkdown({ instance, messages: [msg('u1', 'user', 1, 'The question'), s, a] })
    expect(md).toContain('_Sent: temperature 0.3_')
    expect(md).toContain('_Sent: max tokens 6 · thinking budget 2048_')
    expect(md.indexOf('temperature 0.3')).toBeLessThan(md.indexOf('The answer'))
  })
})
