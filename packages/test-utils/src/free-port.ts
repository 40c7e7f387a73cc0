import { type AddressInfo, createServer } from 'node:net'

/**
 * A loopback port that was free a moment ago, for servers that cannot be told to pick
 * one themselves (`--port 0`). Another process may take it before the caller binds it,
 * so prefer port 0 wherever the server supports it.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}
