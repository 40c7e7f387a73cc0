import { describe, expect, it } from 'vitest'
import type { Connector } from '../protocol/channel.js'
import { GATEWAY_INFO, LATEST_PROTOCOL_VERSION } from '../version.js'
import { defaultInitialize, gatewayCapabilities } from './open.js'

const connector = (relatesRequests: boolean): Connector => ({
  transport: 'test',
  describe: 'test',
  relatesRequests,
  open: () => {
    throw new Error('not opened in these tests')
  },
})

describe('gatewayCapabilities', () => {
  it('declares nothing a client answers on a shared connection that cannot relate requests', () => {
    expect(gatewayCapabilities('shared', connector(false))).toEqual({})
  })

  it('declares sampling, elicitation and roots without listChanged on a shared connection that relates requests', () => {
    expect(gatewayCapabilities('shared', connector(true))).toEqual({
      sampling: {},
      elicitation: {},
      roots: {},
    })
  })

  it('declares roots.listChanged only per session: a roots change is one client’s', () => {
    expect(gatewayCapabilities('per-session', connector(false))).toEqual({
      sampling: {},
      elicitation: {},
      roots: { listChanged: true },
    })
    expect(gatewayCapabilities('per-request', connector(false))).toEqual({
      sampling: {},
      elicitation: {},
      roots: {},
    })
  })
})

describe('defaultInitialize', () => {
  it('sends the latest version, the mode’s capabilities and the gateway’s clientInfo unless one is given', () => {
    expect(defaultInitialize('shared', connector(false), undefined)).toEqual({
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: GATEWAY_INFO,
    })
    const clientInfo = { name: 'acme', version: '1.0.0' }
    expect(defaultInitialize('per-request', connector(false), clientInfo).clientInfo).toBe(
      clientInfo,
    )
  })
})
