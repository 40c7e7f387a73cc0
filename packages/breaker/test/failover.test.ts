/**
 * Issue 12's failover acceptance: two real SDK Streamable HTTP servers on
 * 127.0.0.1, a router, failover() above breaker(). With the primary killed
 * (its server closed: connections refused), calls succeed on the backup with
 * no client-visible error; once it is back on its port and its circuit's
 * open duration is over, calls return to it.
 */
import { createHealthRegistry, createProxy, type McpProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { eventually, startConformanceHttpServer } from '@mcpx/test-utils'
import { forward, inProcess, streamableHttp, upstream } from '@mcpx/transports'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { afterEach, expect, it } from 'vitest'
import { breaker } from '../src/breaker.js'
import { failover } from '../src/failover.js'
import { timeout } from '../src/timeout.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})

/** A conformance server counting the tools/call it gets; `restart()` brings it back on its port. */
async function server(port = 0) {
  const seen = { calls: 0 }
  const options = {
    port,
    resumable: false,
    failPost: (body: unknown) => {
      if ((body as { method?: string }).method === 'tools/call') seen.calls++
      return false
    },
  }
  let running = await startConformanceHttpServer(options)
  const actual = Number(new URL(running.url).port)
  const handle = {
    url: running.url,
    seen,
    stop: () => running.close(),
    restart: async () => {
      running = await startConformanceHttpServer({ ...options, port: actual })
    },
  }
  cleanup.push(() => running.close())
  return handle
}

/** A primary and a backup conformance server, and an upstream of each (`search`, `search-backup`). */
async function pair() {
  const primary = await server()
  const backup = await server()
  const upstreams = [
    upstream('search', streamableHttp({ url: primary.url }), { mode: 'shared', log: () => {} }),
    upstream('search-backup', streamableHttp({ url: backup.url }), {
      mode: 'shared',
      log: () => {},
    }),
  ]
  return { primary, backup, upstreams }
}

let id = 0
const call = (proxy: McpProxy) =>
  proxy.handle({
    jsonrpc: '2.0',
    id: ++id,
    method: 'tools/call',
    params: { name: 'test_simple_text', arguments: {} },
  }) as Promise<Record<string, any>>

it('serves calls on the backup while the primary is down, with no client-visible error, and returns to the primary once it recovers', async () => {
  const { primary, backup, upstreams } = await pair()
  const health = createHealthRegistry()
  const proxy = createProxy({ terminal: forward(upstreams) })
  // The router is not given the health registry: with every replica of `search` unavailable it would
  // refuse the message itself (-32010 "No available replica") before failover() could reroute it.
  proxy.use(router({ upstreams: { search: {}, 'search-backup': {} }, default: 'search' }))
  proxy.use(
    failover({ backups: { search: ['search-backup'] }, idempotentTools: ['test_simple_text'] }),
  )
  const guard = breaker({
    healthRegistry: health,
    strategy: { kind: 'consecutive', failures: 2 },
    openDuration: 300,
  })
  proxy.use(guard)
  cleanup.push(async () => {
    guard.close()
    await proxy.close()
  })

  expect((await call(proxy)).result).toBeDefined()
  expect(primary.seen.calls).toBe(1)

  await primary.stop()
  const whileDown = []
  for (let i = 0; i < 10; i++) whileDown.push(await call(proxy))
  for (const answer of whileDown) expect(answer.error, JSON.stringify(answer.error)).toBeUndefined()
  expect(backup.seen.calls).toBe(10)
  expect(guard.circuit('search')?.state.kind).toBe('open')

  await primary.restart()
  await eventually(async () => {
    await call(proxy)
    return guard.circuit('search')?.state.kind === 'closed'
  }, 5_000)
  const before = { primary: primary.seen.calls, backup: backup.seen.calls }
  const answers = await Promise.all(Array.from({ length: 5 }, () => call(proxy)))
  for (const answer of answers) expect(answer.result).toBeDefined()
  expect(primary.seen.calls).toBe(before.primary + 5)
  expect(backup.seen.calls).toBe(before.backup)
})

it('does not run a non-idempotent tool on the backup after the primary failed it (the primary may have done the work)', async () => {
  const { primary, backup, upstreams } = await pair()
  const proxy = createProxy({ terminal: forward(upstreams) })
  proxy.use(router({ upstreams: { search: {}, 'search-backup': {} }, default: 'search' }))
  proxy.use(failover({ backups: { search: ['search-backup'] } }))
  cleanup.push(() => proxy.close())
  expect((await call(proxy)).result).toBeDefined()
  await primary.stop()
  const answer = await call(proxy)
  expect(answer.error.code).toBe(-32010)
  expect(backup.seen.calls).toBe(0)
})

it('serves on a healthy backup after the primary hung past a per-attempt timeout, without cutting the backup off', async () => {
  const hanging = new McpServer({ name: 'primary', version: '1.0.0' })
  hanging.registerTool(
    'echo',
    {},
    (extra) =>
      new Promise((resolve) => {
        extra.signal.addEventListener('abort', () =>
          resolve({ content: [{ type: 'text', text: 'late' }] }),
        )
      }),
  )
  const quick = new McpServer({ name: 'backup', version: '1.0.0' })
  quick.registerTool('echo', {}, async () => ({ content: [{ type: 'text', text: 'backup' }] }))
  const upstreams = [
    upstream('search', inProcess(hanging), { mode: 'shared', log: () => {} }),
    upstream('search-backup', inProcess(quick), { mode: 'shared', log: () => {} }),
  ]
  const proxy = createProxy({ terminal: forward(upstreams) })
  proxy.use(router({ upstreams: { search: {}, 'search-backup': {} }, default: 'search' }))
  proxy.use(failover({ backups: { search: ['search-backup'] }, idempotentTools: ['echo'] }))
  proxy.use(timeout(150))
  const guard = breaker({ strategy: { kind: 'consecutive', failures: 2 }, openDuration: 60_000 })
  proxy.use(guard)
  cleanup.push(async () => {
    guard.close()
    await proxy.close()
  })
  for (let i = 0; i < 3; i++) {
    const answer = (await proxy.handle({
      jsonrpc: '2.0',
      id: ++id,
      method: 'tools/call',
      params: { name: 'echo', arguments: {} },
    })) as Record<string, any>
    expect(answer.result?.content[0].text).toBe('backup')
  }
  expect(guard.circuit('search-backup')?.state.kind).toBe('closed')
})

it('with trustHints, sends a call that hung on the primary to the backup when its upstream annotates the tool read-only, and not otherwise', async () => {
  const answerWith = async (annotations: { readOnlyHint?: boolean } | undefined) => {
    const hanging = new McpServer({ name: 'primary', version: '1.0.0' })
    hanging.registerTool(
      'lookup',
      { annotations },
      (extra) =>
        new Promise((resolve) => {
          extra.signal.addEventListener('abort', () =>
            resolve({ content: [{ type: 'text', text: 'late' }] }),
          )
        }),
    )
    const quick = new McpServer({ name: 'backup', version: '1.0.0' })
    quick.registerTool('lookup', { annotations }, async () => ({
      content: [{ type: 'text', text: 'backup' }],
    }))
    const proxy = createProxy({
      terminal: forward([
        upstream('search', inProcess(hanging), { mode: 'shared', log: () => {} }),
        upstream('search-backup', inProcess(quick), { mode: 'shared', log: () => {} }),
      ]),
    })
    // The router's catalog is where the tool's annotations come from (core's toolKey).
    proxy.use(router({ upstreams: { search: {}, 'search-backup': {} }, default: 'search' }))
    proxy.use(failover({ backups: { search: ['search-backup'] }, trustHints: true }))
    proxy.use(timeout(150))
    cleanup.push(() => proxy.close())
    return (await proxy.handle({
      jsonrpc: '2.0',
      id: ++id,
      method: 'tools/call',
      params: { name: 'lookup', arguments: {} },
    })) as Record<string, any>
  }
  expect((await answerWith({ readOnlyHint: true })).result?.content[0].text).toBe('backup')
  expect((await answerWith(undefined)).error?.code).toBe(-32001)
})
