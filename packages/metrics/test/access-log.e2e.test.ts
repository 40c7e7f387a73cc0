// accessLog() end to end: the SDK's real Client over Streamable HTTP through
// the gateway of gateway.ts, the access log first in its stack; the lines
// written through the default writer (console.error, on stderr) captured and parsed.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { accessLog } from '../src/access-log.js'
import { ADD_LIMIT, type Gateway, startGateway } from './gateway.js'

let gateway: Gateway
const lines: string[] = []

beforeAll(async () => {
  vi.spyOn(console, 'error').mockImplementation((line: string) => {
    lines.push(line)
  })
  gateway = await startGateway({
    first: accessLog({ arguments: (args) => ({ ...(args as object), b: '[redacted]' }) }),
  })
})
afterAll(async () => {
  await gateway?.close()
  vi.restoreAllMocks()
})

describe('accessLog() through a real gateway, with the SDK client', () => {
  it('writes one line per request with its tool, upstream, client, outcome and error code', async () => {
    const alice = await gateway.connect('alice')
    for (let i = 0; i < ADD_LIMIT + 1; i++) {
      await alice.callTool({ name: 'add', arguments: { a: 1, b: 2 } }).catch(() => {})
    }
    await alice.callTool({ name: 'div', arguments: { a: 1, b: 0 } })
    for (let i = 0; i < 2; i++) await alice.callTool({ name: 'search', arguments: { q: 'mcp' } })
    await alice.readResource({ uri: 'docs://readme' })
    await alice.ping()

    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines.every((line) => !line.includes('\n'))).toBe(true)
    const calls = entries.filter((e) => e.method === 'tools/call')
    expect(calls.map((e) => [e.tool, e.upstream, e.outcome, e.errorCode])).toEqual([
      ...Array(ADD_LIMIT).fill(['add', 'math', 'ok', undefined]),
      ['add', undefined, 'rate_limited', -32029],
      ['div', 'math', 'tool_error', undefined],
      ['search', 'docs', 'ok', undefined],
      ['search', 'docs', 'cache_hit', undefined],
    ])
    for (const e of calls) {
      expect(e).toMatchObject({ client: 'alice', transport: 'streamable-http' })
      expect(typeof e.session).toBe('string')
      expect(e.durationMs).toBeGreaterThanOrEqual(0)
      expect(Date.parse(e.time as string)).not.toBeNaN()
    }
    expect(calls[0]?.arguments).toEqual({ a: 1, b: '[redacted]' })
    expect(entries.find((e) => e.method === 'resources/read')).toMatchObject({
      uri: 'docs://readme',
      upstream: 'docs',
      outcome: 'ok',
    })
    expect(entries.filter((e) => e.method === 'initialize')).toHaveLength(1)
    // Pings and notifications (notifications/initialized) are not logged by default.
    expect(
      entries.some((e) => e.method === 'ping' || String(e.method).startsWith('notifications/')),
    ).toBe(false)
  })
})
