/**
 * redact() end to end (issue 13): a real proxy (router, redact(), forward())
 * in front of an in-process SDK McpServer whose tool returns secrets in
 * text, structuredContent and a log notification, and whose resource holds
 * one; the SDK's real Client over Streamable HTTP sees them redacted, and
 * the upstream never sees the secrets a client sends it.
 */
import { createProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { createStreamableHttpHandler, listen } from '@mcpx/transports/node'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { redact } from '../src/redact.js'

// Fixtures assembled at run time, so that no secret scanner flags this file.
const awsKey = ['AKIA', 'IOSFODNN7EXAMPLE'].join('')
const githubToken = `ghp_${'R4nd0mT0k3n'.repeat(3)}abc`
const jwt = [
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  'eyJzdWIiOiJhZGEiLCJyb2xlIjoiYWRtaW4ifQ',
  'QWxsIHlvdXIgYmFzZSBhcmUgYmVsb25nIHRvIHVz',
].join('.')

/** What the upstream received, as its tools saw it. */
const received: unknown[] = []
let url: string
let close: () => Promise<void>

function appServer() {
  const mcp = new McpServer({ name: 'app', version: '1.0.0' }, { capabilities: { logging: {} } })
  mcp.registerTool(
    'deploy',
    {
      inputSchema: { service: z.string() },
      outputSchema: { service: z.string(), token: z.string(), endpoint: z.string() },
    },
    async ({ service }, extra) => {
      await extra.sendNotification({
        method: 'notifications/message',
        params: {
          level: 'info',
          logger: 'deploy',
          data: { step: 'authenticated', password: 'hunter2', header: `Bearer ${jwt}` },
        },
      })
      const structuredContent = {
        service,
        token: githubToken,
        endpoint: `https://deploy.test/${service}?api_key=abc123`,
      }
      return {
        content: [
          { type: 'text', text: `Deployed ${service} with AWS key ${awsKey}.` },
          { type: 'text', text: JSON.stringify(structuredContent) },
        ],
        structuredContent,
      }
    },
  )
  mcp.registerTool(
    'login',
    { inputSchema: { user: z.string(), password: z.string(), note: z.string() } },
    async (args) => {
      received.push(args)
      return { content: [{ type: 'text', text: `welcome ${args.user}` }] }
    },
  )
  mcp.registerResource('config', 'config://app', { mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, text: `DB_PASSWORD=hunter2\nREGION=eu-west-1\nKEY=${awsKey}\n` }],
  }))
  return mcp
}

function otherServer() {
  const mcp = new McpServer({ name: 'other', version: '1.0.0' })
  mcp.registerTool('ping', {}, async () => ({ content: [{ type: 'text', text: 'pong' }] }))
  return mcp
}

beforeAll(async () => {
  const proxy = createProxy({
    terminal: forward([
      upstream('app', inProcess(appServer), { mode: 'shared', log: () => {} }),
      upstream('other', inProcess(otherServer), { mode: 'shared', log: () => {} }),
    ]),
  })
  // DESIGN's order: the router above, redact() below it (it rewrites each upstream's own params).
  proxy.use(
    router({
      upstreams: { app: { namespace: true }, other: { namespace: true } },
      log: () => {},
    }),
    redact(),
  )
  const listening = await listen(createStreamableHttpHandler(proxy, { path: '/mcp' }), { port: 0 })
  url = `${listening.origin}/mcp`
  close = async () => {
    await listening.close()
    await proxy.close()
  }
})

afterAll(() => close?.())

async function connect() {
  const client = new Client({ name: 'e2e', version: '1.0.0' })
  const logs: LoggingMessageNotification['params'][] = []
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params)
  })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  return { client, logs }
}

describe('redact() end to end, with the SDK client', () => {
  it('redacts text, structuredContent and the log notification of a tool call', async () => {
    const { client, logs } = await connect()
    // tools/list passes untouched (the default skip): the client validates structuredContent
    // against the output schema it lists.
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(['app_deploy', 'app_login', 'other_ping'])

    const result = await client.callTool({ name: 'app_deploy', arguments: { service: 'web' } })
    expect(result.content).toEqual([
      { type: 'text', text: 'Deployed web with AWS key [REDACTED].' },
      {
        type: 'text',
        text: JSON.stringify({
          service: 'web',
          token: '[REDACTED]',
          endpoint: 'https://deploy.test/web?api_key=[REDACTED]',
        }),
      },
    ])
    expect(result.structuredContent).toEqual({
      service: 'web',
      token: '[REDACTED]',
      endpoint: 'https://deploy.test/web?api_key=[REDACTED]',
    })
    expect(logs).toEqual([
      {
        level: 'info',
        logger: 'deploy',
        data: { step: 'authenticated', password: '[REDACTED]', header: 'Bearer [REDACTED]' },
      },
    ])
    const seen = JSON.stringify({ result, logs })
    for (const secret of [awsKey, githubToken, jwt, 'hunter2', 'abc123']) {
      expect(seen).not.toContain(secret)
    }
    await client.close()
  })

  it('redacts resource contents', async () => {
    const { client } = await connect()
    const { contents } = await client.readResource({ uri: 'config://app' })
    expect(contents).toEqual([
      {
        uri: 'config://app',
        text: 'DB_PASSWORD=[REDACTED]\nREGION=eu-west-1\nKEY=[REDACTED]\n',
      },
    ])
    await client.close()
  })

  it('redacts the params going up before the upstream sees them', async () => {
    const { client } = await connect()
    received.length = 0
    const result = await client.callTool({
      name: 'app_login',
      arguments: { user: 'ada', password: 'hunter2', note: `my key is ${awsKey}` },
    })
    expect(result.content).toEqual([{ type: 'text', text: 'welcome ada' }])
    expect(received).toEqual([
      { user: 'ada', password: '[REDACTED]', note: 'my key is [REDACTED]' },
    ])
    await client.close()
  })
})
