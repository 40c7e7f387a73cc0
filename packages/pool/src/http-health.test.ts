import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eventually } from '@mcpx/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpHealthCheck, type HttpHealthCheck } from './http-health.js'

/** A real health endpoint on 127.0.0.1 whose answers the test decides, counting what it sees. */
async function endpoint(answer: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  const seen = { requests: 0, paths: [] as string[], concurrent: 0, maxConcurrent: 0, closed: 0 }
  const server = createServer((req, res) => {
    seen.requests++
    seen.paths.push(req.url ?? '')
    seen.concurrent++
    seen.maxConcurrent = Math.max(seen.maxConcurrent, seen.concurrent)
    res.once('close', () => {
      seen.concurrent--
      // Closed before we answered: the client went away (an aborted check).
      if (!res.writableFinished) seen.closed++
    })
    answer(req, res, seen.requests)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  cleanups.push(close)
  return { seen, port, url: `http://127.0.0.1:${port}/health`, close }
}

const status = (code: number) => (_req: IncomingMessage, res: ServerResponse) => {
  res.statusCode = code
  res.end('body nobody reads')
}

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function check(options: Partial<Parameters<typeof createHttpHealthCheck>[0]> & { url: string }) {
  const logs: string[] = []
  const changes: boolean[] = []
  const c: HttpHealthCheck = createHttpHealthCheck({
    interval: 20,
    timeout: 1_000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    log: (line) => logs.push(line),
    ...options,
  })
  c.onChange((healthy) => changes.push(healthy))
  cleanups.push(() => c.close())
  return { check: c, logs, changes }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('createHttpHealthCheck', () => {
  it('needs healthyThreshold successes and unhealthyThreshold failures in a row, firing only on transitions', async () => {
    const script = [
      200, 200, 200, 503, 503, 503, 503, 200, 503, 200, 200, 503, 503, 200, 503, 503, 200,
    ]
    // What the check believed as each request arrived: the verdict on the requests before it.
    const beliefs: (boolean | undefined)[] = []
    let probe: HttpHealthCheck | undefined
    const server = await endpoint((req, res, n) => {
      beliefs.push(probe?.healthy)
      status(script[n - 1] ?? 200)(req, res)
    })
    const { check: c, changes, logs } = check({ url: server.url })
    probe = c
    await eventually(() => server.seen.requests >= script.length + 1)
    expect(beliefs.slice(0, script.length + 1)).toEqual([
      undefined, // no verdict yet
      undefined, // 1 success of 2
      true, // 2 successes
      true,
      true, // 1 failure of 3
      true, // 2 failures: still healthy
      false, // 3 failures
      false,
      false, // 1 success of 2
      false, // a failure: the count of successes starts again
      false, // 1 success
      true, // 2 successes
      true, // 1 failure
      true, // 2 failures
      true, // a success: the count of failures starts again
      true, // 1 failure
      true, // 2 failures
      true,
    ])
    expect(changes).toEqual([true, false, true])
    expect(logs).toEqual([
      `health check of ${server.url} failed: answered HTTP 503 (3 in a row): unhealthy`,
      `health check of ${server.url} passes again (2 in a row)`,
    ])
  })

  it('starts at once, not an interval later', async () => {
    const server = await endpoint(status(200))
    const started = Date.now()
    check({ url: server.url, interval: 60_000 })
    await eventually(() => server.seen.requests === 1, 2_000)
    expect(Date.now() - started).toBeLessThan(1_000)
    await sleep(50)
    expect(server.seen.requests).toBe(1)
  })

  it('never has two checks in flight, even when one outlasts the interval', async () => {
    const server = await endpoint((req, res) => {
      setTimeout(() => status(200)(req, res), 40)
    })
    check({ url: server.url, interval: 5 })
    await eventually(() => server.seen.requests >= 6)
    expect(server.seen.maxConcurrent).toBe(1)
  })

  it('aborts a check that outlives timeout (the server sees its socket close) and counts it a failure', async () => {
    const server = await endpoint(() => {}) // never answers
    const { check: c, logs } = check({ url: server.url, timeout: 50, unhealthyThreshold: 2 })
    await eventually(() => c.healthy === false)
    await eventually(() => server.seen.closed >= 2, 2_000)
    expect(logs).toEqual([
      `health check of ${server.url} failed: did not answer within 50 ms (2 in a row): unhealthy`,
    ])
  })

  it('takes a redirect as a failure and does not follow it', async () => {
    const server = await endpoint((req, res) => {
      if (req.url === '/elsewhere') return status(200)(req, res)
      res.writeHead(302, { location: '/elsewhere' }).end()
    })
    const { check: c, logs } = check({ url: server.url, unhealthyThreshold: 2 })
    await eventually(() => c.healthy === false)
    expect(server.seen.paths).not.toContain('/elsewhere')
    expect(logs[0]).toContain('failed: answered HTTP 302 (2 in a row)')
  })

  it('takes a refused connection as a failure, naming its code', async () => {
    const server = await endpoint(status(200))
    await server.close() // nothing listens on the port now
    const { check: c, logs } = check({ url: server.url, unhealthyThreshold: 1 })
    await eventually(() => c.healthy === false)
    expect(logs).toEqual([
      `health check of ${server.url} failed: could not be reached (ECONNREFUSED) (1 in a row): unhealthy`,
    ])
  })

  it('sends the URL credentials as Basic auth and logs neither them nor the query', async () => {
    let fail = false
    const server = await endpoint((req, res) => {
      const ok =
        req.headers.authorization ===
        `Basic ${Buffer.from('ops:s3cr\u00e9t', 'utf8').toString('base64')}`
      status(ok && !fail ? 200 : 401)(req, res)
    })
    const url = `http://ops:s3cr%C3%A9t@127.0.0.1:${server.port}/health?token=hunter2#frag`
    const { check: c, logs } = check({ url, unhealthyThreshold: 1, healthyThreshold: 1 })
    await eventually(() => c.healthy === true)
    expect(server.seen.paths[0]).toBe('/health?token=hunter2')
    fail = true
    await eventually(() => c.healthy === false)
    expect(logs).toEqual([
      `health check of http://127.0.0.1:${server.port}/health failed: answered HTTP 401 (1 in a row): unhealthy`,
    ])
  })

  it('keeps an error thrown by fetch inside: its text is not logged and the checks go on', async () => {
    let calls = 0
    const { check: c, logs } = check({
      url: 'http://127.0.0.1:9/health',
      unhealthyThreshold: 2,
      fetch: async () => {
        calls++
        throw new TypeError('failed for http://user:pw@internal.example/?key=1')
      },
    })
    await eventually(() => c.healthy === false && calls >= 3)
    expect(logs).toEqual([
      'health check of http://127.0.0.1:9/health failed: could not be reached (TypeError) (2 in a row): unhealthy',
    ])
  })

  it('stops on close(): no more requests, the one in flight aborted, listeners dropped', async () => {
    let hang = false
    const server = await endpoint((req, res) => {
      if (!hang) status(200)(req, res)
    })
    const { check: c, changes } = check({ url: server.url, timeout: 10_000 })
    await eventually(() => server.seen.requests >= 3)
    hang = true
    await eventually(() => server.seen.concurrent === 1) // a check hangs, far from its timeout
    c.close()
    c.close()
    await eventually(() => server.seen.closed === 1, 2_000)
    const seen = server.seen.requests
    await sleep(150) // 7 intervals
    expect(server.seen.requests).toBe(seen)
    expect(changes).toEqual([true])
    expect(c.onChange(() => {})).toBeTypeOf('function')
  })

  it('cancels the next check when closed between two', async () => {
    const server = await endpoint(status(200))
    const { check: c } = check({ url: server.url, interval: 100, healthyThreshold: 1 })
    await eventually(() => c.healthy === true)
    await sleep(30) // the check is over; the next one waits on its timer
    c.close()
    await sleep(200)
    expect(server.seen.requests).toBe(1)
  })

  it('removes a listener with the function onChange returned, and outlives a throwing one', async () => {
    const server = await endpoint(status(503))
    const { check: c, logs } = check({ url: server.url, unhealthyThreshold: 1 })
    const removed: boolean[] = []
    c.onChange(() => {
      throw new Error('listener bug')
    })
    c.onChange((healthy) => removed.push(healthy))()
    await eventually(() => c.healthy === false)
    const seen = server.seen.requests
    await eventually(() => server.seen.requests > seen + 1)
    expect(removed).toEqual([])
    expect(logs).toContain('a health listener threw: Error')
  })
})
