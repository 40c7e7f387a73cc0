import { createServer } from 'node:net'

/**
 * Whether `host:port` can be bound now: undefined, or the error `listen()`
 * gives (`EADDRINUSE`, `EADDRNOTAVAIL`, `ENOTFOUND`, …). Asked before any
 * upstream starts, so that a gateway that cannot listen says only why, in
 * one line, and starts no child for nothing. The front end's own `listen()`
 * still reports the rare port taken in between.
 */
export function listenError(host: string, port: number): Promise<unknown> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', resolve)
    probe.listen(port, host, () => probe.close(() => resolve(undefined)))
  })
}
