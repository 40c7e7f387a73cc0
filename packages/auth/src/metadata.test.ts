import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  protectedResourceHandler,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from './metadata.js'

const options = {
  resource: 'https://mcp.example.com/mcp',
  authorizationServers: ['https://auth.example.com'],
  scopesSupported: ['tools:call', 'admin'],
}

describe('protectedResourceMetadata()', () => {
  it('writes the RFC 9728 §2 fields, with the header as the only bearer method by default', () => {
    expect(protectedResourceMetadata({ ...options, resourceName: 'Example MCP' })).toEqual({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: ['https://auth.example.com'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['tools:call', 'admin'],
      resource_name: 'Example MCP',
    })
  })

  it('is frozen and has no undefined fields', () => {
    const doc = protectedResourceMetadata({
      resource: 'http://127.0.0.1:3000',
      authorizationServers: ['http://localhost:9000'],
    })
    expect(Object.isFrozen(doc)).toBe(true)
    expect(Object.keys(doc).sort()).toEqual([
      'authorization_servers',
      'bearer_methods_supported',
      'resource',
    ])
  })

  it.each([
    [{ resource: 'http://mcp.example.com/mcp' }, /https/],
    [{ resource: 'https://mcp.example.com/mcp#x' }, /fragment/],
    [{ resource: 'https://mcp.example.com/mcp?a=1' }, /query/],
    [{ resource: 'mcp' }, /absolute/],
    [{ authorizationServers: [] }, /at least one/],
    [{ authorizationServers: ['https://auth.example.com?x=1'] }, /query/],
    [{ bearerMethodsSupported: ['query'] }, /header/],
    [{ scopesSupported: ['two words'] }, /scope/],
  ])('throws a TypeError for %o', (override, message) => {
    expect(() => protectedResourceMetadata({ ...options, ...(override as object) })).toThrow(
      message,
    )
  })
})

describe('protectedResourceMetadataUrl()', () => {
  it.each([
    [
      'https://mcp.example.com/mcp',
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    ],
    [
      'https://mcp.example.com/a/b/',
      'https://mcp.example.com/.well-known/oauth-protected-resource/a/b',
    ],
    ['https://mcp.example.com', 'https://mcp.example.com/.well-known/oauth-protected-resource'],
    [
      'https://mcp.example.com:8443/',
      'https://mcp.example.com:8443/.well-known/oauth-protected-resource',
    ],
  ])('%s → %s (RFC 9728 §3.1)', (resource, url) => {
    expect(protectedResourceMetadataUrl(resource)).toBe(url)
  })
})

describe('protectedResourceHandler()', () => {
  const metadata = protectedResourceMetadata(options)
  const handler = protectedResourceHandler(metadata)

  it('serves the path-suffix and the root well-known paths', () => {
    expect(handler.url).toBe('https://mcp.example.com/.well-known/oauth-protected-resource/mcp')
    expect(handler.paths).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ])
    expect(protectedResourceHandler(metadata, { root: false }).paths).toHaveLength(1)
  })

  it('answers a fetch GET with the JSON document', async () => {
    const res = handler.fetch(new Request(`${handler.url}?x=1`))!
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(await res.json()).toEqual(metadata)
  })

  it('leaves other paths alone and refuses methods other than GET, HEAD, OPTIONS', async () => {
    expect(handler.fetch(new Request('https://mcp.example.com/mcp'))).toBeUndefined()
    const post = handler.fetch(new Request(handler.url, { method: 'POST', body: '{}' }))!
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
    const preflight = handler.fetch(new Request(handler.url, { method: 'OPTIONS' }))!
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('serves a real node:http server, and falls through for other paths', async () => {
    const local = protectedResourceHandler(
      protectedResourceMetadata({ ...options, resource: 'http://127.0.0.1/mcp' }),
    )
    const server = createServer((req, res) => {
      if (local.node(req, res)) return
      res.statusCode = 404
      res.end()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const suffix = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)
      expect(suffix.status).toBe(200)
      expect(((await suffix.json()) as { resource: string }).resource).toBe('http://127.0.0.1/mcp')
      const root = await fetch(`${base}/.well-known/oauth-protected-resource?q`)
      expect(root.status).toBe(200)
      const head = await fetch(`${base}/.well-known/oauth-protected-resource`, { method: 'HEAD' })
      expect([head.status, await head.text()]).toEqual([200, ''])
      expect((await fetch(`${base}/mcp`)).status).toBe(404)
    } finally {
      server.close()
    }
  })

  it('throws a TypeError without a document or with a bad maxAge', () => {
    expect(() => protectedResourceHandler(undefined as never)).toThrow(TypeError)
    expect(() => protectedResourceHandler(metadata, { maxAge: -1 })).toThrow(TypeError)
  })
})
