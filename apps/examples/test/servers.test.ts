import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { describe, expect, it } from 'vitest'
import { createAdminServer, EXAMPLE_FLAVOURS, MAX_FLAGS } from '../src/index.js'

// The built entry (what `exampleServerPath` names once built): run `turbo run build` first.
const exampleServerPath = fileURLToPath(new URL('../dist/bin/example-server.js', import.meta.url))

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text

async function inMemory(): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await createAdminServer().connect(serverSide)
  const client = new Client({ name: 'examples', version: '1' })
  await client.connect(clientSide)
  return client
}

describe('createAdminServer', () => {
  it('set_flag answers the previous value, and admin://flags shows the new one', async () => {
    const client = await inMemory()
    const set = await client.callTool({
      name: 'set_flag',
      arguments: { name: 'maintenance', value: true },
    })
    expect(JSON.parse(text(set))).toEqual({ name: 'maintenance', value: true, previous: false })
    const { contents } = await client.readResource({ uri: 'admin://flags' })
    expect(JSON.parse((contents[0] as { text: string }).text)).toEqual({ maintenance: true })
    await client.close()
  })

  it(`refuses a new flag once ${MAX_FLAGS} are set, and still updates an existing one`, async () => {
    const client = await inMemory()
    for (let i = 1; i < MAX_FLAGS; i++) {
      await client.callTool({ name: 'set_flag', arguments: { name: `f${i}`, value: true } })
    }
    const refused = await client.callTool({
      name: 'set_flag',
      arguments: { name: 'one_more', value: true },
    })
    expect(refused.isError).toBe(true)
    expect(text(refused)).toBe(`no room for flag one_more: ${MAX_FLAGS} flags are set`)
    const updated = await client.callTool({
      name: 'set_flag',
      arguments: { name: 'f1', value: false },
    })
    expect(updated.isError).toBeFalsy()
    await client.close()
  })
})

describe('the stdio entry', () => {
  it.each(EXAMPLE_FLAVOURS)(
    'serves --flavour %s over stdio as a child process',
    async (flavour) => {
      const client = new Client({ name: 'examples', version: '1' })
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [exampleServerPath, '--flavour', flavour],
        }),
      )
      expect(client.getServerVersion()?.name).toBe(`mcpx-example-${flavour}`)
      expect((await client.listTools()).tools.length).toBeGreaterThan(0)
      await client.close()
    },
  )

  it('refuses an unknown flavour with a usage line and exit code 2', () => {
    const run = spawnSync(process.execPath, [exampleServerPath, '--flavour', 'nope'], {
      encoding: 'utf8',
      timeout: 10_000,
    })
    expect(run.status).toBe(2)
    expect(run.stderr).toBe(
      'mcpx-example-server: unknown flavour "nope"\nusage: mcpx-example-server [--flavour math|data|admin]\n',
    )
  })
})
