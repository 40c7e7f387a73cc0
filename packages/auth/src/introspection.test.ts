import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ErrorCode, McpxError } from '@mcpx/core'
import { bearer, now } from '@mcpx/test-utils/tokens'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { introspection } from './introspection.js'

interface Introspector {
  url: string
  hits: number
  /** The last request's form and Authorization header. */
  last?: { form: URLSearchParams; authorization: string | undefined; method: string }
  mode: 'serve' | 'hang' | 'fail' | 'redirect'
  answers: Map<string, Record<string, unknown>>
  close(): Promise<void>
}

/** A real RFC 7662 endpoint on 127.0.0.1 (port 0) that counts its requests. */
async function introspector(): Promise<Introspector> {
  const state: Introspector = {
    url: '',
    hits: 0,
    mode: 'serve',
    answers: new Map(),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer((req, res) => {
    state.hits++
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const form = new URLSearchParams(body)
      state.last = { form, authorization: req.headers.authorization, method: req.method! }
      if (state.mode === 'hang') return
      if (state.mode === 'fail') return void res.writeHead(500).end()
      if (state.mode === 'redirect') {
        return void res.writeHead(307, { location: `${state.url}?again` }).end()
      }
      const answer = state.answers.get(form.get('token') ?? '') ?? { active: false }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`
  return state
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('resolved'),
    (e: unknown) => e,
  )
}

describe('introspection()', () => {
  let server: Introspector
  beforeAll(async () => {
    server = await introspector()
  })
  afterAll(() => server.close())
  afterEach(() => {
    server.mode = 'serve'
    server.hits = 0
    server.answers.clear()
    vi.useRealTimers()
  })
  const options = () => ({
    endpoint: server.url,
    clientId: 'gateway',
    clientSecret: 's&cret:1',
    audience: false as const,
  })

  it('posts the token as a form with client Basic auth, and maps an active answer', async () => {
    server.answers.set('opaque-1', {
      active: true,
      sub: 'alice',
      client_id: 'app',
      scope: 'tools:read  math:*',
      exp: now() + 600,
    })
    const principal = await introspection(options())(bearer('opaque-1'))
    expect(principal).toMatchObject({
      subject: 'alice',
      clientId: 'app',
      scopes: ['tools:read', 'math:*'],
      expiresAt: (server.answers.get('opaque-1')!.exp as number) * 1000,
    })
    expect(server.last?.method).toBe('POST')
    expect(server.last?.form.get('token')).toBe('opaque-1')
    // RFC 6749 §2.3.1: form-encoded, then base64.
    expect(server.last?.authorization).toBe(
      `Basic ${Buffer.from('gateway:s%26cret%3A1').toString('base64')}`,
    )
  })

  it('refuses an inactive token as invalid_token', async () => {
    const error = await failure(introspection(options())(bearer('unknown')))
    expect(McpxError.is(error) && error.code).toBe(ErrorCode.Unauthorized)
    expect((error as McpxError).headers).toEqual({
      'www-authenticate': 'Bearer error="invalid_token"',
    })
  })

  it('refuses an active answer whose exp has passed, or without any subject', async () => {
    server.answers.set('old', { active: true, sub: 'alice', exp: now() - 1 })
    server.answers.set('nobody', { active: true, scope: 'a' })
    const verify = introspection(options())
    for (const token of ['old', 'nobody']) {
      expect(McpxError.is(await failure(verify(bearer(token))))).toBe(true)
    }
  })

  it('answers a repeat token from the cache, and never past its exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    server.answers.set('short', { active: true, sub: 'alice', exp: now() + 2 })
    const verify = introspection(options())
    await verify(bearer('short'))
    await verify(bearer('short'))
    expect(server.hits).toBe(1)
    vi.setSystemTime(Date.now() + 2_500)
    expect(McpxError.is(await failure(verify(bearer('short'))))).toBe(true)
    expect(server.hits).toBe(2)
  })

  it('keeps an entry no longer than the cache ttl, and asks every time with cache: false', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    server.answers.set('long', { active: true, sub: 'alice', exp: now() + 3600 })
    const cached = introspection({ ...options(), cache: { ttl: 1000 } })
    await cached(bearer('long'))
    vi.setSystemTime(Date.now() + 1_500)
    await cached(bearer('long'))
    expect(server.hits).toBe(2)
    const uncached = introspection({ ...options(), cache: false })
    await uncached(bearer('long'))
    await uncached(bearer('long'))
    expect(server.hits).toBe(4)
  })

  it('remembers a refusal for inactiveTtl, then asks again (an inactive answer is never cached as active)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const verify = introspection({ ...options(), cache: { inactiveTtl: 1000 } })
    for (let i = 0; i < 5; i++) await failure(verify(bearer('later')))
    expect(server.hits).toBe(1)
    server.answers.set('later', { active: true, sub: 'alice' })
    vi.setSystemTime(Date.now() + 1_500)
    await expect(verify(bearer('later'))).resolves.toMatchObject({ subject: 'alice' })
    expect(server.hits).toBe(2)
  })

  it('shares one request among concurrent checks of one token', async () => {
    server.answers.set('busy', { active: true, sub: 'alice' })
    const verify = introspection({ ...options(), cache: false })
    const principals = await Promise.all(Array.from({ length: 20 }, () => verify(bearer('busy'))))
    expect(new Set(principals).size).toBe(1)
    expect(server.hits).toBe(1)
  })

  it('refuses an active answer for another audience, or without aud, when audience is set', async () => {
    const audience = 'https://mcp.test/mcp'
    server.answers.set('ours', { active: true, sub: 'a', aud: ['https://x.test', audience] })
    server.answers.set('theirs', { active: true, sub: 'a', aud: 'https://other.test' })
    server.answers.set('none', { active: true, sub: 'a' })
    const verify = introspection({ ...options(), audience })
    await expect(verify(bearer('ours'))).resolves.toMatchObject({ subject: 'a' })
    for (const token of ['theirs', 'none']) {
      expect(McpxError.is(await failure(verify(bearer(token))))).toBe(true)
    }
  })

  it('refuses an answer naming another issuer, and accepts one naming none', async () => {
    server.answers.set('evil', { active: true, sub: 'a', iss: 'https://evil.test' })
    server.answers.set('plain', { active: true, sub: 'a' })
    const verify = introspection({ ...options(), issuer: 'https://issuer.test' })
    expect(McpxError.is(await failure(verify(bearer('evil'))))).toBe(true)
    await expect(verify(bearer('plain'))).resolves.toMatchObject({ subject: 'a' })
  })

  it('fails as a server failure, not a refusal, within the timeout when the endpoint hangs', async () => {
    server.mode = 'hang'
    const started = performance.now()
    const error = await failure(introspection({ ...options(), timeout: 200 })(bearer('t')))
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(McpxError.is(error)).toBe(false)
    expect((error as Error).name).toBe('IntrospectionUnavailable')
  })

  it('fails a check at once with -32011 while maxConcurrent requests are in flight', async () => {
    server.mode = 'hang'
    const verify = introspection({ ...options(), maxConcurrent: 2, timeout: 300 })
    const hanging = [verify(bearer('a')), verify(bearer('b'))].map((p) => p.catch((e) => e))
    const third = await failure(verify(bearer('c')))
    expect(McpxError.is(third) && third.code).toBe(ErrorCode.Overloaded)
    expect(server.hits).toBeLessThanOrEqual(2)
    await Promise.all(hanging)
    server.mode = 'serve'
    server.answers.set('d', { active: true, sub: 'd' })
    await expect(verify(bearer('d'))).resolves.toMatchObject({ subject: 'd' })
  })

  it('treats an answer over 64 KiB as a server failure', async () => {
    server.answers.set('huge', { active: true, sub: 'a', pad: 'x'.repeat(70_000) })
    const error = await failure(introspection(options())(bearer('huge')))
    expect((error as Error).name).toBe('IntrospectionUnavailable')
  })

  it('follows no redirect and treats a 500 as a server failure', async () => {
    server.mode = 'redirect'
    const verify = introspection(options())
    expect(((await failure(verify(bearer('t')))) as Error).name).toBe('IntrospectionUnavailable')
    expect(server.hits).toBe(1)
    server.mode = 'fail'
    expect(((await failure(verify(bearer('t')))) as Error).name).toBe('IntrospectionUnavailable')
  })

  it('asks nothing for a request without a token or with one in the query string', async () => {
    const verify = introspection(options())
    expect(McpxError.is(await failure(verify({ headers: {} })))).toBe(true)
    expect(
      McpxError.is(await failure(verify({ ...bearer('t'), url: '/mcp?access_token=t' }))),
    ).toBe(true)
    expect(server.hits).toBe(0)
  })

  it('validates its options when created', () => {
    expect(() => introspection({ ...options(), endpoint: 'ftp://x' })).toThrow(TypeError)
    expect(() => introspection({ ...options(), clientId: '' })).toThrow(TypeError)
    expect(() => introspection({ ...options(), timeout: 0 })).toThrow(TypeError)
    expect(() => introspection({ ...options(), audience: undefined as never })).toThrow(
      /needs an audience/,
    )
    expect(() => introspection({ ...options(), cache: { inactiveTtl: -1 } })).toThrow(TypeError)
  })

  it.each([0, 1.5, 1_000_001, 2 ** 31 - 1])('refuses cache.max %s when created', (max) => {
    // lru-cache allocates its table for max at once: a huge one would exhaust the heap.
    expect(() => introspection({ ...options(), cache: { max } })).toThrow(
      new TypeError('[@mcpx/auth] introspection() cache.max must be an integer > 0 and ≤ 1000000'),
    )
  })
})
