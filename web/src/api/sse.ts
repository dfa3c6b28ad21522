// A Server-Sent Events reader over fetch (EventSource cannot send the API
// token): it splits the byte stream into messages and reconnects with the
// last id it saw, so a dropped connection neither loses nor repeats rows.

export interface SSEMessage {
  event: string
  id?: string
  data: string
}

/** Splits text into complete SSE messages; returns them and the unfinished rest. */
export function parseSSE(buffer: string): { messages: SSEMessage[]; rest: string } {
  const messages: SSEMessage[] = []
  const text = buffer.replace(/\r\n?/g, '\n')
  let start = 0
  for (;;) {
    const end = text.indexOf('\n\n', start)
    if (end < 0) break
    const block = text.slice(start, end)
    start = end + 2
    let event = 'message'
    let id: string | undefined
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') event = value
      else if (field === 'id') id = value
      else if (field === 'data') data.push(value)
    }
    if (data.length) messages.push({ event, id, data: data.join('\n') })
  }
  return { messages, rest: text.slice(start) }
}

/**
 * Follows an SSE endpoint until it ends by itself or signal aborts.
 * open(lastId) makes the request; onMessage gets each message in order.
 * A broken connection is retried after a pause, from the last id seen.
 */
export async function followSSE(
  open: (lastId: string | undefined, signal: AbortSignal) => Promise<Response>,
  onMessage: (m: SSEMessage) => void,
  signal: AbortSignal,
  retryMs = 1000,
): Promise<void> {
  let lastId: string | undefined
  while (!signal.aborted) {
    try {
      const res = await open(lastId, signal)
      if (res.status === 204) return
      if (!res.ok || !res.body) throw new Error(`events: ${res.status}`)
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buf = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return // the server ends the stream once the run is finished
        const { messages, rest } = parseSSE(buf + value)
        buf = rest
        for (const m of messages) {
          if (m.id) lastId = m.id
          onMessage(m)
        }
      }
    } catch (e) {
      if (signal.aborted) return
      if (e instanceof Error && /events: 4\d\d/.test(e.message)) throw e
      await new Promise((r) => setTimeout(r, retryMs))
    }
  }
}
