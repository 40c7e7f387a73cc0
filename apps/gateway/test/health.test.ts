import { request } from 'node:http'
import { createHealthRegistry, createProxy } from '@mcpx/core'
import { afterEach, describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { notReadyUpstreams } from '../src/health.js'
import { type Served, serve } from '../src/serve.js'

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']
const UPSTREAMS = { math: { replicas: ['math-1', 'math-2'] }, data: { replicas: ['data'] } }
let served: Served | undefined

afterEach(async () => {
  await served?.close()
  served = undefined
})

async function start() {
  const proxy = createProxy({
    terminal: async (ctx) => {
      ctx.result = {}
    },
  })
  served = await serve(proxy, 'http', {
    host: '127.0.0.1',
    port: 0,
    path: '/mcp',
    allowedHosts: LOOPBACK,
  })
  const health = createHealthRegistry()
  served.health.notReady = notReadyUpstreams(health, UPSTREAMS)
  return { served, health, base: new URL(served.url).origin }
}

/** One request with a Host header of our choosing (fetch sets its own). */
function get(base: string, path: string, options: { method?: string; host?: string } = {}) {
  const url = new URL(path, base)
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: { host: options.host ?? url.host } },
      (res) => {
        let body = ''
        res.on('data', (chunk) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('/healthz', () => {
  it('answers 200 ok to GET, and an empty 200 to HEAD', async () => {
    const { base } = await start()
    expect(await get(base, '/healthz')).toEqual({ status: 200, body: 'ok\n' })
    expect(await get(base, '/healthz', { method: 'HEAD' })).toEqual({ status: 200, body: '' })
  })

  it('answers 405 to POST', async () => {
    const { base } = await start()
    expect((await get(base, '/healthz', { method: 'POST' })).status).toBe(405)
  })

  it('refuses a Host name the front end does not allow (DNS rebinding)', async () => {
    const { base } = await start()
    expect((await get(base, '/healthz', { host: 'evil.example:80' })).status).toBe(403)
  })
})

describe('/readyz', () => {
  it('answers 200 when every upstream has a replica that may get traffic', async () => {
    const { base, health } = await start()
    health.report('math-1', 'pool', 'unhealthy')
    expect(await get(base, '/readyz')).toEqual({ status: 200, body: 'ready\n' })
  })

  it('answers 503 naming the upstream none of whose replicas may get traffic', async () => {
    const { base, health } = await start()
    health.report('data', 'breaker', 'open')
    expect(await get(base, '/readyz')).toEqual({ status: 503, body: 'not ready: data\n' })
  })

  it('answers 503 once shutdown has begun', async () => {
    const { served, base } = await start()
    // What shutdown sets first; a probe that still reaches the listener (keep-alive) sees it.
    served.health.shuttingDown = true
    expect(await get(base, '/readyz')).toEqual({ status: 503, body: 'not ready: shutting down\n' })
  })

  it('is marked shutting down by shutdown()', async () => {
    const { served } = await start()
    await served.shutdown(0, 'gateway shutting down')
    expect(served.health.shuttingDown).toBe(true)
  })
})

describe('serve.path', () => {
  it.each(['/healthz', '/readyz'])('refuses %s as the MCP path', (path) => {
    const checked = checkConfig({
      serve: { path },
      upstreams: { a: { url: 'http://127.0.0.1:1/mcp' } },
    })
    expect(checked.ok).toBe(false)
    expect(checked.ok ? [] : checked.problems.join('\n')).toContain('health endpoint')
  })
})
