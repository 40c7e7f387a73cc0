import { ErrorCode } from '@mcpx/core'
import { afterEach, describe, expect, it } from 'vitest'
import { start } from '../src/custom-middleware/proxy.js'
import { connect, runExample, serverPath, text } from './helpers.js'

// Child processes and HTTP on a loaded machine: generous, and above runExample's own limit.
describe('custom-middleware', { timeout: 30_000 }, () => {
  let running: Awaited<ReturnType<typeof start>> | undefined
  afterEach(async () => {
    await running?.close()
    running = undefined
  })

  it('tags a tools/call result from the math child with its elapsed milliseconds', async () => {
    running = await start({ serverPath })
    const client = await connect(running.url)
    const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })
    expect(text(result)).toBe('5')
    expect(result._meta?.['example.mcpx/elapsedMs']).toBeTypeOf('number')
    await client.close()
  })

  it('refuses echo with the McpxError it threw, while other tools still work', async () => {
    running = await start({ serverPath })
    const client = await connect(running.url)
    await expect(
      client.callTool({ name: 'echo', arguments: { text: 'hi' } }),
    ).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
      message: expect.stringContaining('Tool echo is disabled here'),
    })
    expect(text(await client.callTool({ name: 'count', arguments: { n: 2 } }))).toBe('counted to 2')
    await client.close()
  })

  it('the program calls add and is refused echo, then exits 0', async () => {
    const stdout = await runExample('custom-middleware')
    expect(stdout).toMatch(/add\(2, 3\): .*"example\.mcpx\/elapsedMs":[\d.]+.*"text":"5"/)
    expect(stdout).toContain('echo: MCP error -32602: Tool echo is disabled here')
  })
})
