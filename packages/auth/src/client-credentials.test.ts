import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { type TokenEndpoint, tokenEndpoint } from '../test/token-endpoint.js'
import { type ClientCredentialsOptions, clientCredentials } from './client-credentials.js'

const CLIENT = { id: 'mcp gateway', secret: 's&cret:1+2' }

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.unreachable('resolved'),
    (e: unknown) => e as Error,
  )
}

/** Milliseconds of fake wall-clock time pass (sockets and timers stay real). */
const advance = (ms: number) => vi.setSystemTime(Date.now() + ms)

describe('clientCredentials()', () => {
  let endpoint: TokenEndpoint
  beforeAll(async () => {
    endpoint = await tokenEndpoint(CLIENT)
  })
  afterAll(() => endpoint.close())
  afterEach(async () => {
    vi.useRealTimers()
    endpoint.release()
    await idle()
    endpoint.mode = 'serve'
    endpoint.expiresIn = 3600
    endpoint.hits = 0
    endpoint.requests = []
    endpoint.issued = []
    endpoint.aborted = 0
    started = 0
  })
  /** Token requests started so far: counted when `fetch` is called, before any answer. */
  let started = 0
  let last: Promise<unknown> = Promise.resolve()
  const counting: typeof fetch = (input, init) => {
    started++
    const answer = fetch(input, init).then(
      async (r) => new Response(await r.arrayBuffer(), { status: r.status, headers: r.headers }),
    )
    last = answer.catch(() => {})
    return answer
  }
  /** Lets the last token request (a background refresh, say) and what it settles finish. */
  const idle = async () => {
    await last
    await new Promise((resolve) => setImmediate(resolve))
  }
  const options = (extra: Partial<ClientCredentialsOptions> = {}): ClientCredentialsOptions => ({
    tokenUrl: endpoint.url,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    fetch: counting,
    ...extra,
  })

  it('asks with the client credentials grant and client Basic auth, and gives a Bearer header', async () => {
    const credentials = clientCredentials(
      options({ scope: ['search:read', 'search:write'], resource: 'https://search.test/mcp' }),
    )
    await expect(credentials()).resolves.toEqual({ authorization: 'Bearer gateway-token-1' })
    const [seen] = endpoint.requests
    expect(seen?.contentType).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(seen!.form)).toEqual({
      grant_type: 'client_credentials',
      scope: 'search:read search:write',
      resource: 'https://search.test/mcp',
    })
    // RFC 6749 §2.3.1: each part form-encoded (space as '+'), then Base64.
    expect(seen?.authorization).toBe(
      `Basic ${Buffer.from('mcp+gateway:s%26cret%3A1%2B2').toString('base64')}`,
    )
  })

  it('sends the id and secret in the body with client_secret_post, and the audience when set', async () => {
    const credentials = clientCredentials(
      options({ authMethod: 'client_secret_post', audience: 'https://api.test', scope: 'a b' }),
    )
    await expect(credentials.token()).resolves.toBe('gateway-token-1')
    const [seen] = endpoint.requests
    expect(seen?.authorization).toBeUndefined()
    expect(Object.fromEntries(seen!.form)).toEqual({
      grant_type: 'client_credentials',
      scope: 'a b',
      audience: 'https://api.test',
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
    })
  })

  it('serves the cached token without asking again until it nears expiry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const credentials = clientCredentials(options())
    await credentials()
    advance(3600_000 - 60_001)
    await expect(credentials()).resolves.toEqual({ authorization: 'Bearer gateway-token-1' })
    expect(started).toBe(1)
    advance(2)
    await expect(credentials()).resolves.toEqual({ authorization: 'Bearer gateway-token-1' })
    expect(started).toBe(2)
    await idle()
  })

  it('within refreshBefore of expiry, refreshes once in the background and serves the valid token meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const credentials = clientCredentials(options({ refreshBefore: 60_000 }))
    await credentials.token()
    advance(3600_000 - 30_000)
    endpoint.hold()
    const during = await Promise.all([
      credentials.token(),
      credentials.token(),
      credentials.token(),
    ])
    expect(during).toEqual(['gateway-token-1', 'gateway-token-1', 'gateway-token-1'])
    await vi.waitFor(() => expect(endpoint.requests).toHaveLength(2))
    endpoint.release()
    await idle()
    await expect(credentials.token()).resolves.toBe('gateway-token-2')
    expect(endpoint.hits).toBe(2)
  })

  it('never refreshes earlier than half the token lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    endpoint.expiresIn = 60
    const credentials = clientCredentials(options({ refreshBefore: 600_000 }))
    await credentials.token()
    advance(29_000)
    await credentials.token()
    expect(started).toBe(1)
    advance(2_000)
    await credentials.token()
    expect(started).toBe(2)
    await idle()
  })

  it('makes concurrent callers without a token share one request', async () => {
    const credentials = clientCredentials(options())
    const tokens = await Promise.all(Array.from({ length: 20 }, () => credentials.token()))
    expect(new Set(tokens)).toEqual(new Set(['gateway-token-1']))
    expect(endpoint.hits).toBe(1)
  })

  it('waits for a new token once the old one has expired, and never serves the expired one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    endpoint.expiresIn = 120
    const credentials = clientCredentials(options())
    await credentials.token()
    advance(120_000)
    await expect(credentials.token()).resolves.toBe('gateway-token-2')
    expect(endpoint.hits).toBe(2)
  })

  it('takes an answer without expires_in as valid for 300 seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    endpoint.expiresIn = undefined
    const credentials = clientCredentials(options({ refreshBefore: 0 }))
    await credentials.token()
    advance(299_000)
    await expect(credentials.token()).resolves.toBe('gateway-token-1')
    advance(1_000)
    await expect(credentials.token()).resolves.toBe('gateway-token-2')
  })

  it('accepts token_type in any letter case and expires_in as a string of digits', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    endpoint.answerNext = (res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: 'abc.def', token_type: 'bEaReR', expires_in: '100' }))
    const credentials = clientCredentials(options({ refreshBefore: 0 }))
    await expect(credentials.token()).resolves.toBe('abc.def')
    advance(100_000)
    await expect(credentials.token()).resolves.toBe('gateway-token-1')
  })

  it.each([
    ['not JSON', '<html>', 'a body that is not a JSON object'],
    ['an array', '[]', 'a body that is not a JSON object'],
    ['no access_token', { token_type: 'Bearer' }, 'without a usable access_token'],
    [
      'a token that is not a header value',
      { access_token: 'a\r\nx-injected: 1', token_type: 'Bearer' },
      'without a usable access_token',
    ],
    ['a DPoP token', { access_token: 't', token_type: 'DPoP' }, 'token_type other than Bearer'],
    ['no token_type', { access_token: 't' }, 'token_type other than Bearer'],
    ['expires_in 0', { access_token: 't', token_type: 'Bearer', expires_in: 0 }, 'expires_in'],
    ['expires_in -5', { access_token: 't', token_type: 'Bearer', expires_in: -5 }, 'expires_in'],
    [
      'expires_in "soon"',
      { access_token: 't', token_type: 'Bearer', expires_in: 'soon' },
      'expires',
    ],
  ])('refuses an answer with %s', async (_what, body, message) => {
    endpoint.answerNext = (res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(typeof body === 'string' ? body : JSON.stringify(body))
    const error = await failure(clientCredentials(options()).token())
    expect(error.name).toBe('TokenUnavailable')
    expect(error.message).toContain(message)
  })

  it('refuses an answer larger than 64 KiB', async () => {
    endpoint.answerNext = (res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: 'x'.repeat(70_000), token_type: 'Bearer' }))
    const error = await failure(clientCredentials(options()).token())
    expect(error.message).toContain('more than 65536 bytes')
  })

  it("names a refusal's registered OAuth error code, never the endpoint's text or the secret", async () => {
    const credentials = clientCredentials(options({ clientSecret: 'wrong-secret-hunter2' }))
    endpoint.answerNext = (res) =>
      res.writeHead(401, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: 'invalid_client',
          error_description: 'client secret wrong-secret-hunter2 is unknown',
        }),
      )
    const refused = await failure(credentials.token())
    expect(refused.message).toBe(
      '[@mcpx/auth] clientCredentials(): the token endpoint answered HTTP 401 (invalid_client)',
    )
    expect(refused.message).not.toContain('hunter2')
    expect(refused.cause).toBeUndefined()
  })

  it('leaves an unregistered error code out of the message', async () => {
    endpoint.answerNext = (res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'password_is_hunter2' }))
    const error = await failure(clientCredentials(options()).token())
    expect(error.message).toBe(
      '[@mcpx/auth] clientCredentials(): the token endpoint answered HTTP 400',
    )
  })

  it('aborts a token request that takes longer than timeout', async () => {
    endpoint.mode = 'hang'
    const started = performance.now()
    const error = await failure(clientCredentials(options({ timeout: 200 })).token())
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(error.message).toContain('did not answer within 200 ms')
    // The fetch was aborted, not merely outrun: the endpoint saw its connection close.
    await vi.waitFor(() => expect(endpoint.aborted).toBe(1))
  })

  it('follows no redirect, so the secret reaches no other URL', async () => {
    endpoint.mode = 'redirect'
    const error = await failure(clientCredentials(options()).token())
    expect(error.name).toBe('TokenUnavailable')
    expect(endpoint.hits).toBe(1)
  })

  it('after a failed request fails fast with the same error for cooldown, then asks again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    endpoint.mode = 'fail'
    const credentials = clientCredentials(options({ cooldown: 10_000 }))
    const first = await failure(credentials.token())
    expect(first.message).toContain('answered HTTP 503')
    for (let i = 0; i < 5; i++) expect(await failure(credentials())).toBe(first)
    expect(endpoint.hits).toBe(1)
    endpoint.mode = 'serve'
    advance(10_000)
    await expect(credentials.token()).resolves.toBe('gateway-token-1')
    expect(endpoint.hits).toBe(2)
  })

  it('keeps serving a valid token when a background refresh fails, retrying only after cooldown', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const credentials = clientCredentials(options({ cooldown: 10_000 }))
    await credentials.token()
    endpoint.mode = 'fail'
    advance(3600_000 - 50_000)
    await expect(credentials.token()).resolves.toBe('gateway-token-1')
    expect(started).toBe(2)
    await idle()
    advance(5_000)
    await expect(credentials.token()).resolves.toBe('gateway-token-1')
    expect(started).toBe(2)
    endpoint.mode = 'serve'
    advance(5_000)
    await credentials.token()
    await idle()
    await expect(credentials.token()).resolves.toBe('gateway-token-2')
  })

  it('keeps a token invalidated within cooldown of its issue, asking for no new one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const credentials = clientCredentials(options({ cooldown: 10_000 }))
    await credentials.token()
    credentials.invalidate()
    advance(10_000)
    credentials.invalidate()
    await expect(credentials.token()).resolves.toBe('gateway-token-1')
    expect(started).toBe(1)
  })

  it('drops a token invalidated more than cooldown after its issue: the next calls share one request', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const credentials = clientCredentials(options({ cooldown: 10_000 }))
    await credentials.token()
    advance(10_001)
    credentials.invalidate()
    const tokens = await Promise.all([
      credentials.token(),
      credentials.token(),
      credentials.token(),
    ])
    expect(tokens).toEqual(['gateway-token-2', 'gateway-token-2', 'gateway-token-2'])
    expect(started).toBe(2)
    // The new token is young: a late refusal of the old one does not drop it.
    credentials.invalidate()
    await expect(credentials.token()).resolves.toBe('gateway-token-2')
    expect(started).toBe(2)
  })

  it('asks for at most one token per cooldown when every token is invalidated at once', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const credentials = clientCredentials(options({ cooldown: 1_000 }))
    for (let call = 0; call < 100; call++) {
      await credentials.token()
      credentials.invalidate()
      advance(100)
    }
    // 10 s at one refused call per 100 ms: the first token, then one per elapsed cooldown.
    expect(started).toBeLessThanOrEqual(1 + 10_000 / 1_000)
    expect(started).toBeGreaterThan(1)
  })

  it('leaves no timer running between calls', async () => {
    vi.useFakeTimers()
    const fetch = async () =>
      new Response(JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_in: 60 }), {
        status: 200,
      })
    const credentials = clientCredentials(options({ fetch }))
    await credentials.token()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('validates its options when created, naming no secret', () => {
    const bad: Partial<ClientCredentialsOptions>[] = [
      { tokenUrl: 'ftp://auth.test/token' },
      { tokenUrl: 'not a url' },
      { tokenUrl: 'https://id:hunter2@auth.test/token' },
      { clientId: '' },
      { clientSecret: '' },
      { authMethod: 'private_key_jwt' as never },
      { scope: ['a b'] },
      { scope: 'quote"' },
      { resource: 'relative/path' },
      { resource: 'https://search.test/mcp#frag' },
      { audience: '' },
      { refreshBefore: -1 },
      { timeout: 0 },
      { cooldown: Number.NaN },
      { fetch: 'fetch' as never },
    ]
    for (const extra of bad) {
      const make = () => clientCredentials(options({ clientSecret: 'hunter2', ...extra }))
      expect(make).toThrow(TypeError)
      expect(make).toThrow(/^\[@mcpx\/auth\] clientCredentials\(\): /)
      expect(make).not.toThrow(/hunter2/)
    }
  })
})
