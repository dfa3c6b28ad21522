// A TCP proxy between the browser and the server, so a test can cut the
// network (every open connection, WebSocket included) while the server
// keeps running.

import net from 'node:net'

export async function startProxy(targetPort) {
  const open = new Set()
  let refusing = false
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy()
      return
    }
    const upstream = net.connect(targetPort, '127.0.0.1')
    open.add(client)
    open.add(upstream)
    const close = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: server.address().port,
    /** Cuts every connection and refuses new ones until restore(). */
    cut() {
      refusing = true
      for (const s of open) s.destroy()
      open.clear()
    },
    restore() {
      refusing = false
    },
    close() {
      refusing = true
      for (const s of open) s.destroy()
      open.clear()
      return new Promise((r) => server.close(r))
    },
  }
}
