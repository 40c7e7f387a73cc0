import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { prometheusContentType } from './exposition.js'
import { metrics } from './metrics.js'
import { metricsHandler } from './node.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})

async function serve(handler: ReturnType<typeof metricsHandler>): Promise<string> {
  const listening = createServer(handler)
  server = listening
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}/metrics`
}

describe('metricsHandler()', () => {
  it('answers GET with the exposition, never cached', async () => {
    const m = metrics()
    const url = await serve(metricsHandler(m))
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(prometheusContentType)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.text()).toBe(m.exposition())
  })

  it('answers HEAD with the headers only, and other methods with 405', async () => {
    const url = await serve(metricsHandler(metrics()))
    const head = await fetch(url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0)
    const post = await fetch(url, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('answers 500 with no detail when the exposition fails, and logs why', async () => {
    const log = vi.fn()
    const url = await serve(
      metricsHandler(
        {
          exposition: () => {
            throw new Error('secret detail')
          },
        },
        log,
      ),
    )
    const res = await fetch(url)
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('internal error\n')
    expect(log).toHaveBeenCalledWith('the exposition failed: secret detail')
  })

  it('refuses what has no exposition', () => {
    expect(() => metricsHandler({} as never)).toThrow(
      '[@mcpx/metrics] metricsHandler() takes a registry or metrics()',
    )
  })
})
