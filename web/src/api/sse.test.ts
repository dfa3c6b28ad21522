import { describe, expect, it } from 'vitest'
import { followSSE, parseSSE } from './sse'

describe('SSE', () => {
  it('splits complete messages and keeps the rest', () => {
    const { messages, rest } = parseSSE('id: 1\nevent: result\ndata: {"a":1}\n\nevent: progress\ndata: {"done":1}\n\n: comment\n\nid: 2\nevent: res')
    expect(messages).toEqual([
      { event: 'result', id: '1', data: '{"a":1}' },
      { event: 'progress', id: undefined, data: '{"done":1}' },
    ])
    expect(rest).toBe('id: 2\nevent: res')
  })

  it('reconnects after a broken stream from the last id, and stops at the end', async () => {
    const asked: (string | undefined)[] = []
    const bodies = ['id: 1\nevent: result\ndata: a\n\nid: 2\nevent: result\ndata: b\n\nid: 3\nevent: res', 'id: 3\nevent: result\ndata: c\n\n']
    const open = async (lastId: string | undefined) => {
      asked.push(lastId)
      const text = bodies.shift()!
      const broken = bodies.length === 1
      let sent = false
      // The first chunk is read; the next read finds the connection cut (or the end).
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          if (!sent) {
            sent = true
            c.enqueue(new TextEncoder().encode(text))
          } else if (broken) c.error(new Error('cut'))
          else c.close()
        },
      })
      return new Response(stream, { status: 200 })
    }
    const seen: string[] = []
    await followSSE(open, (m) => seen.push(m.data), new AbortController().signal, 1)
    expect(seen).toEqual(['a', 'b', 'c'])
    expect(asked).toEqual([undefined, '2'])
  })
})
