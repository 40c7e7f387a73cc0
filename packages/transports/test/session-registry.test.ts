import { createProxy } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { endToEnd } from '../src/downstream/forward-to-owner.js'
import type { SessionDirectory } from '../src/downstream/session-directory.js'
import { createStreamableHttpHandler } from '../src/node.js'

/** A directory in memory: what the option checks need, nothing shared. */
function memoryDirectory(): SessionDirectory {
  const owners = new Map<string, string>()
  return {
    ttl: 60_000,
    claim: async (id, owner) => void owners.set(id, owner),
    touch: async (id, owner) => void owners.set(id, owner),
    release: async (id, owner) => void (owners.get(id) === owner && owners.delete(id)),
    owner: async (id) => owners.get(id),
  }
}

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
    expect(() => make({ secret: 'short' })).toThrow(/secret must be a string of at least 16/)
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
})
