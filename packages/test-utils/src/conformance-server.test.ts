import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { startConformanceHttpServer } from './conformance-http.js'

// The real built entry point, run as a child process (the root `test` script builds first).
const stdioBin = fileURLToPath(new URL('../dist/bin/conformance-stdio.js', import.meta.url))

describe('conformance fixture over stdio', () => {
  let client: Client | undefined
  afterEach(async () => {
    await client?.close()
    client = undefined
  })

  async function connect(): Promise<Client> {
    if (!existsSync(stdioBin))
      throw new Error(`${stdioBin} is missing: build @mcpx/test-utils first`)
    client = new Client(
      { name: 'test-utils-test', version: '1.0.0' },
      { capabilities: { sampling: {} } },
    )
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [stdioBin], stderr: 'pipe' }),
    )
    return client
  }

  it('lists the tools the conformance server scenarios call', async () => {
    const { tools } = await (await connect()).listTools()
    const names = tools.map((t) => t.name)
    expect(names).toEqual(
      expect.arrayContaining([
        'test_simple_text',
        'test_image_content',
        'test_audio_content',
        'test_embedded_resource',
        'test_multiple_content_types',
        'test_tool_with_logging',
        'test_tool_with_progress',
        'test_error_handling',
        'test_sampling',
        'test_elicitation',
        'test_elicitation_sep1034_defaults',
        'test_elicitation_sep1330_enums',
        'json_schema_2020_12_tool',
      ]),
    )
    for (const tool of tools) expect(tool.description, tool.name).toBeTruthy()
    const raw = tools.find((t) => t.name === 'json_schema_2020_12_tool')?.inputSchema
    expect(raw).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      additionalProperties: false,
    })
  })

  it('sends sampling/createMessage back to the client during test_sampling', async () => {
    const c = await connect()
    const prompts: unknown[] = []
    c.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      prompts.push(request.params.messages[0]?.content)
      return { role: 'assistant', content: { type: 'text', text: 'pong' }, model: 'm' }
    })
    const result = await c.callTool({ name: 'test_sampling', arguments: { prompt: 'ping' } })
    expect(prompts).toEqual([{ type: 'text', text: 'ping' }])
    expect(result.content).toEqual([{ type: 'text', text: 'LLM response: pong' }])
  })
})

describe('conformance fixture over Streamable HTTP', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    },
  }
  const post = (url: string, headers: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(initialize),
    })

  it('refuses a foreign Origin and an unknown session, and accepts a loopback initialize', async () => {
    const fixture = await startConformanceHttpServer()
    try {
      expect((await post(fixture.url, { origin: 'http://evil.example.com' })).status).toBe(403)
      expect((await post(fixture.url, { 'mcp-session-id': 'nope' })).status).toBe(404)
      const ok = await post(fixture.url, { origin: new URL(fixture.url).origin })
      expect(ok.status).toBe(200)
      expect(ok.headers.get('mcp-session-id')).toBeTruthy()
      await ok.body?.cancel()
      expect(fixture.sessionCount).toBe(1)
    } finally {
      await fixture.close()
    }
  })
})
