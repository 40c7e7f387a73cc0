import { createProxy } from '@mcpx/core'
import type { AccessLogEntry, AccessLogger } from '@mcpx/metrics'
import type { UpstreamStatus } from '@mcpx/router'
import { describe, expect, it } from 'vitest'
import type { GatewayConfig } from '../src/config-types.js'
import { startupCheck } from '../src/startup-check.js'
import { displayUrl, startupOutput, statusLine } from '../src/startup-output.js'

describe('startupCheck()', () => {
  it('cancels a list that outlasts its timeout, so the work behind it stops too', async () => {
    const cancelled: string[] = []
    const proxy = createProxy({
      terminal: async (ctx) => {
        if (ctx.method === 'initialize') {
          ctx.result = {
            protocolVersion: '2025-11-25',
            capabilities: {},
            serverInfo: { name: 'x', version: '1' },
          } as never
          return
        }
        if (ctx.kind !== 'request') return
        // A list that never answers until it is cancelled.
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
        // Cancelled as the step's timeout passed, not merely swept up when the session closes.
        cancelled.push(`${ctx.method}: ${(ctx.signal.reason as Error).message}`)
      },
    })
    const started = performance.now()
    await startupCheck(proxy, 100)
    expect(performance.now() - started).toBeLessThan(2_000)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(cancelled.sort()).toEqual(
      ['prompts/list', 'resources/list', 'resources/templates/list', 'tools/list'].map(
        (method) => `${method}: Request cancelled by the other side`,
      ),
    )
    await proxy.close()
  })
})

const status = (fields: Partial<UpstreamStatus> = {}): UpstreamStatus => ({
  name: 'x',
  tools: undefined,
  prompts: undefined,
  resources: undefined,
  resourceTemplates: undefined,
  missing: undefined,
  ...fields,
})

/** An upstream that answered every list, with `tools` tools and nothing else. */
const listed = (name: string, tools: number) =>
  status({ name, tools, prompts: 0, resources: 0, resourceTemplates: 0 })

/** A config of two routed stdio upstreams, `a` and `b`, and a backup. */
const config = {
  upstreams: {
    a: { source: { kind: 'command', command: 'a-server' }, replicas: ['a'] },
    b: { source: { kind: 'command', command: 'b-server' }, replicas: ['b-1', 'b-2'] },
    spare: { source: { kind: 'command', command: 'spare-server' }, replicas: ['spare'] },
  },
  router: { upstreams: { a: {}, b: {} } },
} as unknown as GatewayConfig

describe('start-up lines', () => {
  it('counts what an upstream listed, leaving out empty lists, and says what it has not listed', () => {
    const partial = { tools: 4, prompts: 0, missing: 'Upstream "x" timed out' }
    expect(statusLine(status(partial)).text).toBe(
      'x: ready, 4 tools; no resources, resource templates (timed out)',
    )
    const empty = { tools: 0, prompts: 0, resources: 0, resourceTemplates: 0 }
    expect(statusLine(status(empty)).text).toBe('x: ready, nothing listed')
  })

  it('tells a failure from an upstream that has not answered yet', () => {
    expect(statusLine(status({ missing: 'Upstream "x" could not be reached' }))).toEqual({
      text: 'x: failed, could not be reached',
      failed: true,
    })
    expect(statusLine(status())).toEqual({
      text: 'x: no answer yet (the start-up check timed out)',
      failed: false,
    })
  })

  it('shows a URL without user, password, query values or fragment', () => {
    expect(displayUrl('https://me:pw@example.com:8443/mcp?token=t&token=u&v=1#frag')).toBe(
      'https://example.com:8443/mcp?token=…&v=…',
    )
  })

  it('says each routed upstream is starting, not a backup', () => {
    const said: string[] = []
    startupOutput(config, (line) => said.push(line), false).starting()
    expect(said).toEqual([
      'mcpx-gateway: a: starting (stdio, a-server)',
      'mcpx-gateway: b: starting (stdio, b-server, 2 replicas)',
    ])
  })

  it("drops the router's per-list repeats of a reported failure and passes the rest on as it comes", () => {
    const said: string[] = []
    const output = startupOutput(config, (line) => said.push(line), false)
    output.starting()
    said.length = 0
    output.log('[mcpx upstream b-1] could not start b-server: not found (ENOENT)')
    output.log('[mcpx router] upstream "b" is missing (Upstream "b-1" could not be started)')
    output.log('[mcpx router] upstream "b" is missing from tools/list (…); asked again in 5000 ms')
    output.log('[mcpx upstream b-1] could not start b-server: not found (ENOENT)')
    output.log('[mcpx router] tool "echo" is exposed by "a" and "b": "a" serves it')
    expect(said).toHaveLength(3) // the upstream's own line, initialize's and the collision, as they come
    const outcome = output.report([
      listed('a', 1),
      status({ name: 'b', missing: 'Upstream "b-1" could not be started (ENOENT)' }),
    ])
    expect(outcome).toEqual({
      failed: 'b: failed, could not start b-server: not found (ENOENT)',
      exit: false,
    })
    expect(said).toEqual([
      '[mcpx upstream b-1] could not start b-server: not found (ENOENT)',
      '[mcpx router] upstream "b" is missing (Upstream "b-1" could not be started)',
      '[mcpx router] tool "echo" is exposed by "a" and "b": "a" serves it',
      'mcpx-gateway: a: ready, 1 tool',
      'mcpx-gateway: b: failed, could not start b-server: not found (ENOENT)',
    ])
    output.log('[mcpx router] upstream "b" is missing from tools/list (…); asked again in 5000 ms')
    expect(said.at(-1)).toMatch(/is missing from tools\/list/) // after start-up, as usual
  })

  it('under fatal, says nothing until the check is over, then only the failure', () => {
    const said: string[] = []
    const output = startupOutput(config, (line) => said.push(line), true)
    output.starting()
    output.log('[mcpx upstream a] could not start a-server: not found (ENOENT)')
    expect(said).toEqual([])
    const outcome = output.report([
      status({ name: 'a', missing: 'Upstream "a" could not be started' }),
    ])
    expect(outcome.exit).toBe(true)
    expect(said).toEqual(['mcpx-gateway: a: failed, could not start a-server: not found (ENOENT)'])
    output.log('[mcpx upstream a] closed')
    expect(said).toHaveLength(1)
  })

  it('under fatal, says every held line once the one upstream is ready', () => {
    const said: string[] = []
    const output = startupOutput(config, (line) => said.push(line), true)
    output.starting()
    output.log('[mcpx upstream a] hello from a')
    expect(output.report([listed('a', 2)]).exit).toBe(false)
    expect(said).toEqual([
      'mcpx-gateway: a: starting (stdio, a-server)',
      'mcpx-gateway: b: starting (stdio, b-server, 2 replicas)',
      '[mcpx upstream a] hello from a',
      'mcpx-gateway: a: ready, 2 tools',
    ])
  })

  it("carries the gateway log's access entries, held with the lines under fatal", () => {
    const said: string[] = []
    const log = Object.assign((line: string) => said.push(line), {
      access: {
        info: (entry: AccessLogEntry) => said.push(`access ${entry.method}`),
        warn: () => {},
        error: () => {},
      },
    })
    const output = startupOutput(config, log, true)
    const access = (output.log as unknown as { access: AccessLogger }).access
    output.starting()
    access.info({ method: 'tools/list' } as AccessLogEntry)
    expect(said).toEqual([])
    output.report([listed('a', 1)])
    expect(said).toContain('access tools/list')
    access.info({ method: 'tools/call' } as AccessLogEntry)
    expect(said.at(-1)).toBe('access tools/call')
  })
})
