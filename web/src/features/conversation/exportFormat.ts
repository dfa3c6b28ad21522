// Exports of conversations and comparisons. JSONL is the exact data, one
// JSON object a line — the flow instance first, then every stored message
// as the REST API returns it — and is what the import endpoint reads back.
// Markdown is for reading: a paper's appendix, a pull request.

import type { FlowInstance, Message } from '../../api/types'
import { paramsText } from '../../shared/params'

/** The first line of a conversation export says what the file is. */
export const conversationFormat = 'superego.conversation/v1'

export interface ConversationExport {
  instance: FlowInstance
  messages: Message[]
}

export function conversationJsonl({ instance, messages }: ConversationExport): string {
  const lines = [{ type: 'flow_instance', format: conversationFormat, flow_instance: instance }, ...messages.map((m) => ({ type: 'message', message: m }))]
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n'
}

/** Parses a conversation JSONL export; throws with the line number on bad input. */
export function parseConversationJsonl(text: string): ConversationExport {
  let instance: FlowInstance | undefined
  const messages: Message[] = []
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let v: { type?: string; flow_instance?: FlowInstance; message?: Message }
    try {
      v = JSON.parse(line)
    } catch {
      throw new Error(`line ${i + 1}: not JSON`)
    }
    if (v.type === 'flow_instance' && v.flow_instance) instance = v.flow_instance
    else if (v.type === 'message' && v.message) messages.push(v.message)
    else throw new Error(`line ${i + 1}: expected a flow_instance or message line`)
  })
  if (!instance) throw new Error('no flow_instance line: not a conversation export')
  return { instance, messages }
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`.trimEnd())
    .join('\n')
}

/** The parameters a message's call sent, as a line of their own ("" for none). */
function sent(m: Message): string {
  const p = paramsText(m.params)
  return p ? `\n_Sent: ${p}_\n` : ''
}

function messageMarkdown(m: Message, constitutionName: (id: string) => string): string {
  switch (m.role) {
    case 'user':
      return `### User\n\n${quote(m.content)}\n`
    case 'superego': {
      const c = m.constitution_id ? ` · constitution ${constitutionName(m.constitution_id)}${m.constitution_version ? ` v${m.constitution_version}` : ''}` : ''
      const head = `### Superego — ${m.decision || 'no decision'}${c}`
      return `${head}\n\n${m.reason ? `Reason: ${m.reason}\n` : ''}${m.status !== 'complete' ? `\n_(${m.status})_\n` : ''}${sent(m)}`
    }
    default: {
      const model = m.model ? ` (${m.model})` : ''
      const tokens = m.usage && (m.usage.input_tokens || m.usage.output_tokens) ? `\n\n_${m.usage.input_tokens} tokens in · ${m.usage.output_tokens} out_` : ''
      return `### Assistant${model}\n\n${m.content}${m.status !== 'complete' ? `\n\n_(${m.status})_` : ''}${tokens}\n${sent(m)}`
    }
  }
}

export function conversationMarkdown({ instance, messages }: ConversationExport, constitutionName: (id: string) => string = (id) => id): string {
  const sorted = [...messages].sort((a, b) => a.position - b.position)
  const head = `# ${instance.name || instance.id}\n\nFlow config \`${instance.flow_config_id}\` · ${sorted.length} messages · created ${instance.created_at}\n`
  return [head, ...sorted.map((m) => messageMarkdown(m, constitutionName))].join('\n')
}

/** A comparison: every column's conversation, one after the other. */
export function comparisonJsonl(columns: ConversationExport[]): string {
  return columns.map(conversationJsonl).join('')
}

export function comparisonMarkdown(title: string, columns: ConversationExport[], constitutionName?: (id: string) => string): string {
  return [`# Comparison: ${title}\n`, ...columns.map((c) => conversationMarkdown(c, constitutionName).replace(/^# /, '## ').replace(/^### /gm, '#### '))].join('\n')
}
