import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterEach, describe, expect, it } from 'vitest'

/** The built bin: tests run against what `bin` hands to other packages. */
const bin = fileURLToPath(new URL('../dist/bin/stateful-stdio.js', import.meta.url))

const clients: Client[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

async function connect() {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin],
  })
  const client = new Client({ name: 't', version: '1' })
  await client.connect(transport)
  clients.push(client)
  return { client, pid: transport.pid! }
}

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text

describe('stateful-stdio', () => {
  it('lists echo, pid, stateful_set and stateful_get', async () => {
    const { client } = await connect()
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(['echo', 'pid', 'stateful_set', 'stateful_get'])
  })

  it('keeps state per process and answers pid with its own', async () => {
    const a = await connect()
    const b = await connect()
    await a.client.callTool({ name: 'stateful_set', arguments: { key: 'k', value: 'v' } })
    expect(textOf(await a.client.callTool({ name: 'stateful_get', arguments: { key: 'k' } }))).toBe(
      'v',
    )
    expect(textOf(await b.client.callTool({ name: 'stateful_get', arguments: { key: 'k' } }))).toBe(
      '',
    )
    expect(Number(textOf(await a.client.callTool({ name: 'pid', arguments: {} })))).toBe(a.pid)
  })

  it('answers an unknown tool with -32602', async () => {
    const { client } = await connect()
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/-32602/)
  })

  it('exits 0 when its stdin ends', async () => {
    const child = spawn(process.execPath, [bin], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    child.stdin.end()
    const code = await new Promise((resolve) => child.on('exit', resolve))
    expect(code).toBe(0)
  })
})
