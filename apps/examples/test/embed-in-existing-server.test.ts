import { ErrorCode } from '@mcpx/core'
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterEach, describe, expect, it } from 'vitest'
import { start } from '../src/embed-in-existing-server/server.js'
import { connect, runExample, text } from './helpers.js'

// Child processes and HTTP on a loaded machine: generous, and above runExample's own limit.
describe('embed-in-existing-server', { timeout: 30_000 }, () => {
  let running: Awaited<ReturnType<typeof start>> | undefined
  afterEach(async () => {
    await running?.close()
    running = undefined
  })

  it('refuses a client without an API key with 401', async () => {
    running = await start({ key: 'k-123' })
    await expect(connect(running.url)).rejects.toMatchObject({ code: 401 })
  })

  it('refuses a wrong API key with 401', async () => {
    running = await start({ key: 'k-123' })
    await expect(connect(running.url, { 'x-api-key': 'k-124' })).rejects.toMatchObject({
      code: 401,
    })
  })

  it('serves a good key, then refuses the call over the limit with 429 and -32029', async () => {
    running = await start({ key: 'k-123', callsPerMinute: 2 })
    const client = await connect(running.url, { 'x-api-key': 'k-123' })
    const call = (n: number) => client.callTool({ name: 'add_note', arguments: { text: `n${n}` } })
    expect(text(await call(1))).toBe('1 notes')
    expect(text(await call(2))).toBe('2 notes')
    const refused = await call(3).catch((error: unknown) => error)
    // A whole HTTP request refused is an HTTP answer: 429, the JSON-RPC error as its body.
    expect(refused).toBeInstanceOf(StreamableHTTPError)
    const { code, message } = refused as StreamableHTTPError
    expect(code).toBe(429)
    expect(JSON.parse(message.slice(message.indexOf('{')))).toMatchObject({
      error: {
        code: ErrorCode.RateLimited,
        data: { limit: 2, remaining: 0, policy: 'per-client' },
      },
    })
    await client.close()
  })

  it('the program shows the refusal, three calls and the rate-limited fourth, then exits 0', async () => {
    const stdout = await runExample('embed-in-existing-server')
    expect(stdout).toMatch(/without a key: .*-32030/)
    expect(stdout).toContain('call 3: [{"type":"text","text":"3 notes"}]')
    expect(stdout).toMatch(/call 4: .*Rate limit per-client exceeded/)
  })
})
