import { createProxy } from '@mcpx/core'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { endToEnd } from '../src/downstream/forward-to-owner.js'
import { OwnerSignature } from '../src/downstream/owner-signature.js'
import { createStreamableHttpHandler } from '../src/node.js'
import { runCleanups } from './fixtures.js'
import { INIT } from './harness.js'
import { memoryDirectory, post, replica, SECRET, WHOAMI } from './registry-harness.js'

afterEach(runCleanups)

const proxy = createProxy({ terminal: async () => {} })
const registry = {
  directory: memoryDirectory(),
  self: 'http://10.0.0.7:3000',
  secret: 'x'.repeat(16),
}

describe('the registry option', () => {
  it('is checked when the handler is made', () => {
    const make = (changes: object) =>
      createStreamableHttpHandler(proxy, { registry: { ...registry, ...changes } })
    expect(() => make({ secret: 'short' })).toThrow(/secret must be at least 16 visible ASCII/)
    // Read from a file with its newline, or padded: either would fail every forward later.
    expect(() => make({ secret: 'a-secret-of-16-chars-or-more\n' })).toThrow(
      /no spaces or newlines/,
    )
    expect(() => make({ secret: ' a-secret-of-16-chars-or-more' })).toThrow(/no spaces or newlines/)
    expect(() => make({ self: 'not a url' })).toThrow(/self must be an http\(s\) origin/)
    expect(() => make({ self: 'http://10.0.0.7:3000/mcp' })).toThrow(
      /self must be an http\(s\) origin/,
    )
    expect(() => make({ directory: {} })).toThrow(/directory must be a SessionDirectory/)
    expect(() => make({ connectTimeout: 0 })).toThrow(/connectTimeout/)
    expect(() => make({ directory: { ...memoryDirectory(), ttl: 10 } })).toThrow(/ttl/)
    const handler = make({})
    expect(typeof handler).toBe('function')
    void handler.close()
  })
})

describe('endToEnd', () => {
  it('drops hop-by-hop headers and those Connection names, and keeps the rest', () => {
    const kept = endToEnd({
      connection: 'keep-alive, x-hop',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'proxy-authorization': 'Basic abc',
      upgrade: 'websocket',
      te: 'trailers',
      'x-hop': 'only to the next hop',
      authorization: 'Bearer alice',
      'mcp-session-id': 'abc',
      'mcp-protocol-version': '2025-06-18',
      'last-event-id': 'p1:3',
      host: 'gateway.example',
    })
    expect(kept).toEqual({
      authorization: 'Bearer alice',
      'mcp-session-id': 'abc',
      'mcp-protocol-version': '2025-06-18',
      'last-event-id': 'p1:3',
      host: 'gateway.example',
    })
  })

  it('keeps exactly the headers that are not hop-by-hop and that no Connection token names', () => {
    const name = fc.constantFrom(
      'x-a',
      'x-b',
      'keep-alive',
      'upgrade',
      'te',
      'authorization',
      'host',
      'mcp-session-id',
    )
    const token = fc.oneof(name, fc.constantFrom('close', 'Keep-Alive', 'X-A', ' x-b ', ''))
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.string()),
        fc.option(
          fc.array(token, { maxLength: 4 }).map((tokens) => tokens.join(',')),
          { nil: undefined },
        ),
        (headers, connection) => {
          const given = connection === undefined ? headers : { ...headers, connection }
          const named = new Set(connection?.split(',').map((t) => t.trim().toLowerCase()))
          const hop = ['connection', 'keep-alive', 'te', 'upgrade']
          const expected = Object.fromEntries(
            Object.entries(given).filter(([n]) => !hop.includes(n) && !named.has(n)),
          )
          expect(endToEnd(given)).toEqual(expected)
        },
      ),
    )
  })
})

describe('forwarding between replicas in one process', () => {
  it('forwards a body express.json() already parsed on the receiving replica', async () => {
    const directory = memoryDirectory()
    const { url: a } = await replica('A', directory)
    const { url: b } = await replica('B', directory, { mount: 'express.json' })
    const { sessionId } = await post(a, INIT)
    expect(sessionId).toBeTruthy()
    const answer = await post(b, WHOAMI, sessionId!)
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('"text":"A"')
  })

  it.each(['express.text', 'express.raw'] as const)(
    'forwards a body %s() already read on the receiving replica as it came',
    async (mount) => {
      const directory = memoryDirectory()
      const { url: a } = await replica('A', directory)
      const { url: b } = await replica('B', directory, { mount })
      const { sessionId } = await post(a, INIT)
      const answer = await post(b, WHOAMI, sessionId!)
      expect(answer.status).toBe(200)
      expect(answer.text).toContain('"text":"A"')
    },
  )

  it('answers 404 and drops the entry when the owner refuses connections', async () => {
    const directory = memoryDirectory()
    const { url: b } = await replica('B', directory)
    const sessionId = 'A'.repeat(24)
    await directory.claim(
      sessionId,
      new OwnerSignature(SECRET).sign(sessionId, 'http://127.0.0.1:1'),
    )
    const answer = await post(b, WHOAMI, sessionId)
    expect(answer.status).toBe(404)
    expect(answer.text).toContain('Session not found')
    expect(await directory.owner(sessionId)).toBeUndefined()
  })
})
