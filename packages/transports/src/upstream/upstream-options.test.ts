import { describe, expect, it } from 'vitest'
import type { Connector } from '../protocol/channel.js'
import { Upstream, upstream } from './upstream.js'

const connector: Connector = {
  transport: 'test',
  describe: 'test',
  open: () => {
    throw new Error('not opened in these tests')
  },
}

describe('upstream() options', () => {
  it('caps a request at ten times its timeout by default', () => {
    expect(upstream('x', connector, { timeout: 5000 }).maxTotalTimeout).toBe(50_000)
  })

  it('sets no total cap when the timeout is disabled', () => {
    expect(upstream('x', connector, { timeout: 0 }).maxTotalTimeout).toBe(0)
  })

  it('takes an explicit maxTotalTimeout as given', () => {
    expect(upstream('x', connector, { maxTotalTimeout: 1234 }).maxTotalTimeout).toBe(1234)
  })

  it.each([
    ['maxTotalTimeout', { maxTotalTimeout: -1 }],
    ['listChangedDebounce', { listChangedDebounce: Number.NaN }],
    ['maxSubscriptions', { maxSubscriptions: 0 }],
    ['maxSubscriptionsPerSession', { maxSubscriptionsPerSession: -5 }],
  ])('rejects a bad %s when the upstream is made', (_name, options) => {
    expect(() => upstream('x', connector, options)).toThrow(TypeError)
  })

  it('checks the Upstream constructor as upstream() does', () => {
    expect(() => new Upstream('', connector)).toThrow(TypeError)
  })

  it('reports idle stats before any session', () => {
    expect(upstream('x', connector).stats).toEqual({
      connections: 0,
      sessions: 0,
      leases: 0,
      handshakes: 0,
      subscribedUris: 0,
      subscribedSessions: 0,
      subscriptions: 0,
      pendingListChanged: 0,
      pendingRequests: 0,
      serverRequests: 0,
      tasks: 0,
    })
  })
})
