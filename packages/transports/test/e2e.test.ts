import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Connector } from '../src/protocol/channel.js'
import { eventually } from './fixtures.js'
import {
  connectClient,
  fixtureHttp,
  fixtureStdio,
  type Gateway,
  startGateway,
  stopFixtures,
  textOf,
} from './harness.js'

afterAll(stopFixtures)

const upstreams: [string, () => Connector][] = [
  ['stdio', fixtureStdio],
  ['Streamable HTTP', fixtureHttp],
]

describe.each(upstreams)('through the gateway to a %s upstream', (_kind, connector) => {
  let gateway: Gateway
  beforeAll(async () => {
    gateway = await startGateway(connector(), 'per-session')
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('delivers a sampling request to the client and its answer to the upstream', async () => {
    const client = await connectClient(gateway.url)
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]?.content
      const prompt = content && 'text' in content ? content.text : ''
      return {
        role: 'assistant',
        model: 'test',
        content: { type: 'text', text: `sampled: ${prompt}` },
      }
    })
    const result = await client.callTool({ name: 'sample', arguments: { prompt: 'hello' } })
    expect(textOf(result)).toBe('sampled: hello')
    await client.close()
  })

  it('delivers an elicitation request to the client and its answer to the upstream', async () => {
    const client = await connectClient(gateway.url)
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: 'Ada' },
    }))
    const result = await client.callTool({ name: 'elicit', arguments: { message: 'Who?' } })
    expect(JSON.parse(textOf(result))).toEqual({ action: 'accept', content: { name: 'Ada' } })
    await client.close()
  })

  it('delivers roots/list to the client and its roots to the upstream', async () => {
    const client = await connectClient(gateway.url)
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: 'file:///work/project' }],
    }))
    const result = await client.callTool({ name: 'roots', arguments: {} })
    expect(JSON.parse(textOf(result))).toEqual(['file:///work/project'])
    await client.close()
  })

  it('relays progress notifications in order with the client’s own token', async () => {
    const client = await connectClient(gateway.url)
    const seen: number[] = []
    const result = await client.callTool({ name: 'progress', arguments: { steps: 5 } }, undefined, {
      onprogress: (progress) => seen.push(progress.progress),
    })
    expect(textOf(result)).toBe('done 5')
    expect(seen).toEqual([1, 2, 3, 4, 5])
    await client.close()
  })

  it('cancels the upstream request when the client cancels', async () => {
    const client = await connectClient(gateway.url)
    const controller = new AbortController()
    const call = client.callTool({ name: 'wait_for_cancel', arguments: {} }, undefined, {
      signal: controller.signal,
    })
    setTimeout(() => controller.abort('user pressed stop'), 200)
    await expect(call).rejects.toThrow()
    await eventually(async () => {
      const stats = JSON.parse(textOf(await client.callTool({ name: 'stats', arguments: {} })))
      return stats.cancelled === 1
    })
    await client.close()
  })

  it('delivers an upstream tools/list_changed to the client', async () => {
    const client = await connectClient(gateway.url)
    const changed = new Promise<void>((resolve) => {
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => resolve())
    })
    await client.callTool({ name: 'notify_tools_changed', arguments: {} })
    await changed
    await client.close()
  })
})

describe.each(upstreams)('a shared %s upstream connection', (_kind, connector) => {
  // Only Streamable HTTP ties a server request to the client request it serves.
  if (_kind !== 'stdio')
    it('delivers a sampling request to the client whose request caused it', async () => {
      const [a, b] = await Promise.all([connectClient(gateway.url), connectClient(gateway.url)])
      for (const [client, name] of [
        [a, 'a'],
        [b, 'b'],
      ] as const) {
        client.setRequestHandler(CreateMessageRequestSchema, async () => ({
          role: 'assistant',
          model: 'x',
          content: { type: 'text', text: `answered by ${name}` },
        }))
      }
      const [ra, rb] = await Promise.all([
        a.callTool({ name: 'sample', arguments: { prompt: 'p' } }),
        b.callTool({ name: 'sample', arguments: { prompt: 'p' } }),
      ])
      expect([textOf(ra), textOf(rb)]).toEqual(['answered by a', 'answered by b'])
      await Promise.all([a.close(), b.close()])
    })

  let gateway: Gateway
  beforeAll(async () => {
    gateway = await startGateway(connector(), 'shared')
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('keeps two clients using the same request ids apart', async () => {
    const [a, b] = await Promise.all([connectClient(gateway.url), connectClient(gateway.url)])
    // Fresh SDK clients number their requests identically, so each pair of
    // concurrent calls below carries the same JSON-RPC id.
    for (let round = 0; round < 5; round++) {
      const [ra, rb] = await Promise.all([
        a.callTool({ name: 'echo', arguments: { text: `a${round}`, delayMs: 20 } }),
        b.callTool({ name: 'echo', arguments: { text: `b${round}`, delayMs: 5 } }),
      ])
      expect([textOf(ra), textOf(rb)]).toEqual([`a${round}`, `b${round}`])
    }
    expect(gateway.upstream.connectionCount).toBe(1)
    await Promise.all([a.close(), b.close()])
  })

  // Only stdio carries no relation: this is what a shared stdio connection must do instead.
  if (_kind === 'stdio')
    it('refuses a server request it cannot tie to a client rather than guess', async () => {
      // Over stdio the upstream's sampling request carries no relation; on a
      // shared connection with no single request to tie it to, it is refused.
      const client = await connectClient(gateway.url)
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({
        role: 'assistant',
        model: 'x',
        content: { type: 'text', text: 'should not be asked' },
      }))
      const other = await connectClient(gateway.url)
      const slow = other.callTool({ name: 'echo', arguments: { text: 'busy', delayMs: 300 } })
      const result = await client.callTool({ name: 'sample', arguments: { prompt: 'x' } })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toContain('cannot deliver sampling/createMessage')
      await slow
      await Promise.all([client.close(), other.close()])
    })
})
