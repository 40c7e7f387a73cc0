import * as core from '@mcpx/core'
import {
  answerHeadersKey,
  Context,
  createProxy,
  createStatsRegistry,
  ErrorCode,
  McpxError,
  type Principal,
  principalKey,
  sourceKey,
  type Terminal,
  targetKey,
  toolKey,
} from '@mcpx/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type Cache, type CacheOptions, cache, cacheStatusKey } from './cache.js'
import { memoryCacheStore } from './memory-cache-store.js'

const alice: Principal = { subject: 'alice', scopes: ['read'] }
const bob: Principal = { subject: 'bob', scopes: ['read'] }

/** An upstream behind the cache that counts what reaches it; `answer` decides each answer. */
function gateway(options: CacheOptions = {}, answer?: (ctx: Context, n: number) => unknown) {
  let calls = 0
  const terminal: Terminal = async (ctx) => {
    calls++
    const made = answer ? await answer(ctx, calls) : undefined
    ctx.result = (made ?? { contents: [{ uri: 'file:///a', text: `v${calls}` }] }) as never
  }
  const layer: Cache = cache({ log: () => {}, ...options } as CacheOptions)
  const proxy = createProxy({ terminal, onError: () => {} }).use(layer)
  const send = async (
    method: string,
    params: Record<string, unknown>,
    principal: Principal | null = alice,
    upstream = 'files',
  ) => {
    const ctx = new Context({ kind: 'request', id: 1, method, params })
    ctx.set(targetKey, { upstream, method, params })
    if (principal) ctx.set(principalKey, principal)
    await proxy.dispatch(ctx)
    return ctx
  }
  const notify = (method: string, params: Record<string, unknown>, source = 'files') => {
    const ctx = new Context({ kind: 'notification', method, params, direction: 'toClient' })
    ctx.set(sourceKey, source)
    return proxy.dispatch(ctx)
  }
  return { layer, proxy, send, notify, calls: () => calls }
}

const read = (uri = 'file:///a') => ['resources/read', { uri }] as const
const textOf = (ctx: Context) => (ctx.result as { contents: { text: string }[] }).contents[0]?.text

afterEach(() => {
  vi.useRealTimers()
})

describe('cache(): hits, misses and staleness (fake timers)', () => {
  it('misses once, hits until the TTL, serves stale while one refresh runs, then misses after the stale window', async () => {
    vi.useFakeTimers()
    const g = gateway({ ttlMs: 10_000, staleWhileRevalidateMs: 5_000 })
    const first = await g.send(...read())
    expect(first.get(cacheStatusKey)).toBe('miss')
    expect(first.get(answerHeadersKey)).toEqual({
      'cache-control': 'private, max-age=10, stale-while-revalidate=5',
    })
    await vi.advanceTimersByTimeAsync(4_000)
    const hit = await g.send(...read())
    expect(hit.get(cacheStatusKey)).toBe('hit')
    expect(textOf(hit)).toBe('v1')
    expect(hit.get(answerHeadersKey)?.['cache-control']).toBe(
      'private, max-age=6, stale-while-revalidate=5',
    )
    expect(g.calls()).toBe(1)

    await vi.advanceTimersByTimeAsync(7_000) // 11 s: stale
    const stale = await g.send(...read())
    const again = await g.send(...read())
    expect([stale.get(cacheStatusKey), again.get(cacheStatusKey)]).toEqual(['stale', 'stale'])
    expect(textOf(stale)).toBe('v1')
    await vi.advanceTimersByTimeAsync(1) // the one background refresh runs
    expect(g.calls()).toBe(2)
    const refreshed = await g.send(...read())
    expect(refreshed.get(cacheStatusKey)).toBe('hit')
    expect(textOf(refreshed)).toBe('v2')

    await vi.advanceTimersByTimeAsync(16_000) // past fresh and stale
    const expired = await g.send(...read())
    expect(expired.get(cacheStatusKey)).toBe('miss')
    expect(textOf(expired)).toBe('v3')
  })

  it('keeps the stale entry when its refresh fails, until the stale window ends', async () => {
    vi.useFakeTimers()
    const g = gateway({ ttlMs: 1_000, staleWhileRevalidateMs: 10_000 }, (_ctx, n) => {
      if (n > 1) throw new McpxError(ErrorCode.UpstreamUnavailable, 'down')
      return undefined
    })
    await g.send(...read())
    await vi.advanceTimersByTimeAsync(2_000)
    expect((await g.send(...read())).get(cacheStatusKey)).toBe('stale')
    await vi.advanceTimersByTimeAsync(1)
    expect(g.calls()).toBe(2)
    const still = await g.send(...read())
    expect(still.get(cacheStatusKey)).toBe('stale')
    expect(textOf(still)).toBe('v1')
    await vi.advanceTimersByTimeAsync(10_000)
    const gone = await g.send(...read())
    expect(gone.error?.code).toBe(ErrorCode.UpstreamUnavailable)
  })

  it('cancels a refresh that outlives refreshTimeoutMs and keeps the stale entry', async () => {
    vi.useFakeTimers()
    const g = gateway(
      { ttlMs: 1_000, staleWhileRevalidateMs: 60_000, refreshTimeoutMs: 500 },
      (ctx, n) =>
        n === 1
          ? undefined
          : new Promise((_resolve, reject) => ctx.onAbort((reason) => reject(reason))),
    )
    await g.send(...read())
    await vi.advanceTimersByTimeAsync(2_000)
    await g.send(...read())
    await vi.advanceTimersByTimeAsync(600)
    expect(g.calls()).toBe(2)
    const after = await g.send(...read())
    expect(after.get(cacheStatusKey)).toBe('stale')
    await vi.advanceTimersByTimeAsync(1)
    expect(g.calls()).toBe(3) // the next stale hit may refresh again: the first one ended
  })
})

describe('cache(): single flight', () => {
  it('sends 50 concurrent identical misses to the upstream once, and all 50 get its answer', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const g = gateway({}, async () => {
      await gate
      return undefined
    })
    const pending = Array.from({ length: 50 }, () => g.send(...read()))
    await new Promise((resolve) => setTimeout(resolve, 5))
    release()
    const all = await Promise.all(pending)
    expect(g.calls()).toBe(1)
    expect(all.map(textOf)).toEqual(Array(50).fill('v1'))
    expect(all.filter((ctx) => ctx.get(cacheStatusKey) === 'coalesced')).toHaveLength(49)
  })

  it("gives followers the leader's upstream error without caching it", async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const g = gateway({}, async (_ctx, n) => {
      if (n === 1) {
        await gate
        throw new McpxError(ErrorCode.UpstreamUnavailable, 'upstream down')
      }
      return undefined
    })
    const pending = Array.from({ length: 5 }, () => g.send(...read()))
    await new Promise((resolve) => setTimeout(resolve, 5))
    release()
    const all = await Promise.all(pending)
    expect(all.map((ctx) => ctx.error?.code)).toEqual(Array(5).fill(ErrorCode.UpstreamUnavailable))
    expect(g.calls()).toBe(1)
    const next = await g.send(...read())
    expect(next.get(cacheStatusKey)).toBe('miss')
    expect(textOf(next)).toBe('v2')
  })

  it('lets a follower lead again when the leader was cancelled by its own client', async () => {
    const g = gateway({}, (ctx, n) =>
      n === 1
        ? new Promise((_resolve, reject) => ctx.onAbort((reason) => reject(reason)))
        : undefined,
    )
    const controller = new AbortController()
    const leader = new Context({
      kind: 'request',
      id: 1,
      method: 'resources/read',
      params: { uri: 'file:///a' },
      signal: controller.signal,
    })
    leader.set(targetKey, {
      upstream: 'files',
      method: 'resources/read',
      params: { uri: 'file:///a' },
    })
    leader.set(principalKey, alice)
    const led = g.proxy.dispatch(leader as Context)
    await new Promise((resolve) => setTimeout(resolve, 1))
    const follower = g.send(...read())
    await new Promise((resolve) => setTimeout(resolve, 1))
    controller.abort(new McpxError(ErrorCode.RequestCancelled, 'cancelled'))
    await led
    const followed = await follower
    expect(textOf(followed)).toBe('v2')
    expect(g.calls()).toBe(2)
  })
})

describe('cache(): what is never cached', () => {
  it('does not cache an upstream error or an isError result', async () => {
    const g = gateway({ tools: { include: ['search'] } }, (_ctx, n) => {
      if (n === 1) throw new McpxError(ErrorCode.UpstreamUnavailable, 'down')
      if (n === 2) return { content: [{ type: 'text', text: 'bad' }], isError: true }
      return { content: [{ type: 'text', text: `ok${n}` }] }
    })
    const call = () => g.send('tools/call', { name: 'search', arguments: { q: 'x' } })
    const failed = await call()
    expect(failed.error?.code).toBe(ErrorCode.UpstreamUnavailable)
    const isError = await call()
    expect((isError.result as { isError?: boolean }).isError).toBe(true)
    expect(isError.get(answerHeadersKey)?.['cache-control']).toBe('no-store')
    const ok = await call()
    const hit = await call()
    expect([ok.get(cacheStatusKey), hit.get(cacheStatusKey)]).toEqual(['miss', 'hit'])
    expect(g.calls()).toBe(3)
  })

  it('caches tools only when included, or hinted with trustHints, never when excluded', async () => {
    const readOnly = {
      name: 'lookup',
      inputSchema: { type: 'object' as const },
      annotations: { readOnlyHint: true },
    }
    const hintedCall = async (g: ReturnType<typeof gateway>, name: string) => {
      const params = { name, arguments: {} }
      const ctx = new Context({ kind: 'request', id: 1, method: 'tools/call', params })
      ctx.set(targetKey, { upstream: 'files', method: 'tools/call', params })
      ctx.set(toolKey, { ...readOnly, name })
      await g.proxy.dispatch(ctx as Context)
      return ctx
    }
    const plain = gateway()
    await hintedCall(plain, 'lookup')
    expect((await hintedCall(plain, 'lookup')).get(cacheStatusKey)).toBeUndefined()
    const trusting = gateway({ tools: { trustHints: true, exclude: ['secret_*'] } })
    await hintedCall(trusting, 'lookup')
    expect((await hintedCall(trusting, 'lookup')).get(cacheStatusKey)).toBe('hit')
    await hintedCall(trusting, 'secret_lookup')
    expect((await hintedCall(trusting, 'secret_lookup')).get(cacheStatusKey)).toBeUndefined()
  })

  it('never caches a tools/call that creates a task, nor a URI excluded', async () => {
    const g = gateway({
      tools: { include: ['**'] },
      resources: { exclude: ['file:///private/**'] },
    })
    const task = () => g.send('tools/call', { name: 'slow', arguments: {}, task: { ttl: 1000 } })
    await task()
    expect((await task()).get(cacheStatusKey)).toBeUndefined()
    await g.send(...read('file:///private/key'))
    expect((await g.send(...read('file:///private/key'))).get(cacheStatusKey)).toBeUndefined()
  })

  it('refuses or re-times entries by policy', async () => {
    vi.useFakeTimers()
    const g = gateway({
      ttlMs: 60_000,
      policy: ({ params }: { params: unknown }) =>
        (params as { uri: string }).uri.endsWith('.log') ? false : 1_000,
    })
    await g.send(...read('file:///app.log'))
    expect((await g.send(...read('file:///app.log'))).get(cacheStatusKey)).toBe('miss')
    await g.send(...read())
    expect((await g.send(...read())).get(cacheStatusKey)).toBe('hit')
    await vi.advanceTimersByTimeAsync(1_001)
    expect((await g.send(...read())).get(cacheStatusKey)).toBe('miss')
  })
})

describe('cache(): keys', () => {
  it('never lets two principals share an entry by default, and shares when vary is []', async () => {
    const g = gateway()
    const a = await g.send(...read(), alice)
    const b = await g.send(...read(), bob)
    expect([textOf(a), textOf(b)]).toEqual(['v1', 'v2'])
    expect((await g.send(...read(), bob)).get(cacheStatusKey)).toBe('hit')
    expect(textOf(await g.send(...read(), alice))).toBe('v1')
    expect(textOf(await g.send(...read(), null))).toBe('v3')

    const shared = gateway({ vary: [] })
    await shared.send(...read(), alice)
    const other = await shared.send(...read(), bob)
    expect(other.get(cacheStatusKey)).toBe('hit')
    expect(other.get(answerHeadersKey)?.['cache-control']).toMatch(/^public, /)
  })

  it('keys by a claim when configured, so principals with one tenant share', async () => {
    const g = gateway({ vary: [{ claim: 'tenant' }] })
    await g.send(...read(), { subject: 'a', scopes: [], claims: { tenant: 't1' } })
    const sameTenant = await g.send(...read(), {
      subject: 'b',
      scopes: [],
      claims: { tenant: 't1' },
    })
    const otherTenant = await g.send(...read(), {
      subject: 'c',
      scopes: [],
      claims: { tenant: 't2' },
    })
    expect([sameTenant.get(cacheStatusKey), otherTenant.get(cacheStatusKey)]).toEqual([
      'hit',
      'miss',
    ])
  })

  it('keys by the whole of a long claim: never shares it with the claim absent or another long value', async () => {
    const g = gateway({ vary: [{ claim: 'groups' }] })
    const groups = (tenant: string) => Array.from({ length: 600 }, (_, i) => `${tenant}-group-${i}`)
    const a = { subject: 'a', scopes: [], claims: { groups: groups('tenant-a') } }
    const b = { subject: 'b', scopes: [], claims: { groups: groups('tenant-b') } }
    expect(JSON.stringify(a.claims.groups).length).toBeGreaterThan(4096)
    expect(textOf(await g.send(...read(), a))).toBe('v1')
    const none = await g.send(...read(), { subject: 'c', scopes: [] })
    const other = await g.send(...read(), b)
    expect([none.get(cacheStatusKey), other.get(cacheStatusKey)]).toEqual(['miss', 'miss'])
    expect([textOf(none), textOf(other)]).toEqual(['v2', 'v3'])
    const again = await g.send(...read(), { ...a, subject: 'a2' })
    expect([again.get(cacheStatusKey), textOf(again)]).toEqual(['hit', 'v1'])
  })

  it('keys by a claim: an anonymous caller never shares with a principal lacking it, nor does an inherited name', async () => {
    const g = gateway({ vary: [{ claim: 'constructor' }] })
    expect(textOf(await g.send(...read(), null))).toBe('v1')
    const lacking = await g.send(...read(), { subject: 'a', scopes: [], claims: {} })
    expect([lacking.get(cacheStatusKey), textOf(lacking)]).toEqual(['miss', 'v2'])
    // `constructor` is no claim of a `{}`: absent, as for any principal without it.
    const other = await g.send(...read(), { subject: 'b', scopes: [] })
    expect([other.get(cacheStatusKey), textOf(other)]).toEqual(['hit', 'v2'])
  })

  it('bypasses the cache when a claim it varies by cannot be encoded', async () => {
    const g = gateway({ vary: [{ claim: 'groups' }] })
    const huge = { subject: 'a', scopes: [], claims: { groups: ['x'.repeat(70_000)] } }
    const odd = { subject: 'b', scopes: [], claims: { groups: 10n } }
    for (const principal of [huge, huge, odd, odd]) {
      const answer = await g.send(...read(), principal)
      expect(answer.get(cacheStatusKey)).toBe('bypass')
    }
    expect(g.calls()).toBe(4)
    expect(textOf(await g.send(...read(), { subject: 'c', scopes: [] }))).toBe('v5')
  })

  it('keys the principal by its issuer too: one subject at two identity providers is two callers', async () => {
    const g = gateway()
    const at = (iss: string): Principal => ({ subject: '42', scopes: [], claims: { iss } })
    expect(textOf(await g.send(...read(), at('https://idp-a')))).toBe('v1')
    const b = await g.send(...read(), at('https://idp-b'))
    expect([b.get(cacheStatusKey), textOf(b)]).toEqual(['miss', 'v2'])
    const unissued = await g.send(...read(), { subject: '42', scopes: [] })
    expect(unissued.get(cacheStatusKey)).toBe('miss')
    const a = await g.send(...read(), at('https://idp-a'))
    expect([a.get(cacheStatusKey), textOf(a)]).toEqual(['hit', 'v1'])
  })

  it('keys on canonical params without _meta, per upstream', async () => {
    const g = gateway({ tools: { include: ['search'] } })
    await g.send('tools/call', { name: 'search', arguments: { a: 1, b: [1, { y: 2, x: 1 }] } })
    const reordered = await g.send('tools/call', {
      arguments: { b: [1, { x: 1, y: 2 }], a: 1 },
      name: 'search',
      _meta: { progressToken: 7 },
    })
    expect(reordered.get(cacheStatusKey)).toBe('hit')
    const elsewhere = await g.send(
      'tools/call',
      { name: 'search', arguments: { a: 1, b: [1, { y: 2, x: 1 }] } },
      alice,
      'other',
    )
    expect(elsewhere.get(cacheStatusKey)).toBe('miss')
  })

  it('hands out deeply frozen results: a hit cannot change what the next one gets', async () => {
    const g = gateway()
    const miss = await g.send(...read())
    ;(miss.result as { contents: { text: string }[] }).contents[0]!.text =
      'changed by a layer above'
    const hit = await g.send(...read())
    expect(textOf(hit)).toBe('v1')
    expect(Object.isFrozen((hit.result as { contents: object[] }).contents[0])).toBe(true)
    expect(() => {
      ;(hit.result as { contents: { text: string }[] }).contents[0]!.text = 'x'
    }).toThrow(TypeError)
  })
})

describe('cache(): invalidation', () => {
  it("evicts a URI's reads on notifications/resources/updated, and passes the notification on", async () => {
    const g = gateway()
    await g.send(...read('file:///a'))
    await g.send(...read('file:///b'))
    await g.notify('notifications/resources/updated', { uri: 'file:///a' })
    expect((await g.send(...read('file:///a'))).get(cacheStatusKey)).toBe('miss')
    expect((await g.send(...read('file:///b'))).get(cacheStatusKey)).toBe('hit')
  })

  it("drops the source upstream's list pages and tool results on tools/list_changed", async () => {
    const g = gateway({ tools: { include: ['**'] } }, (ctx) =>
      ctx.method === 'tools/list' ? { tools: [] } : { content: [] },
    )
    await g.send('tools/list', {})
    await g.send('tools/list', {}, alice, 'other')
    await g.send('tools/call', { name: 't', arguments: {} })
    await g.notify('notifications/tools/list_changed', {}, 'files')
    expect((await g.send('tools/list', {})).get(cacheStatusKey)).toBe('miss')
    expect((await g.send('tools/call', { name: 't', arguments: {} })).get(cacheStatusKey)).toBe(
      'miss',
    )
    expect((await g.send('tools/list', {}, alice, 'other')).get(cacheStatusKey)).toBe('hit')
  })

  it('does not store an answer whose URI was updated while it was in flight', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const g = gateway({}, async (_ctx, n) => {
      if (n === 1) await gate
      return undefined
    })
    const first = g.send(...read())
    await new Promise((resolve) => setTimeout(resolve, 1))
    await g.notify('notifications/resources/updated', { uri: 'file:///a' })
    release()
    await first
    expect((await g.send(...read())).get(cacheStatusKey)).toBe('miss')
  })
})

describe('cache(): bounds, stats and failures', () => {
  it('holds the byte bound under 10,000 distinct large results', async () => {
    const store = memoryCacheStore({ maxBytes: 1_000_000, maxEntries: 100_000 })
    const big = 'x'.repeat(10_000)
    const g = gateway({ store }, () => ({ contents: [{ uri: 'u', text: big }] }))
    let peak = 0
    for (let i = 0; i < 10_000; i++) {
      await g.send(...read(`file:///${i}`))
      peak = Math.max(peak, store.stats().bytes)
    }
    const { bytes, entries, evictions } = store.stats()
    expect(peak).toBeLessThanOrEqual(1_000_000)
    expect(bytes).toBeLessThanOrEqual(1_000_000)
    expect(entries).toBeGreaterThan(50)
    expect(entries).toBeLessThan(100)
    expect(evictions).toBe(10_000 - entries)
    expect((await g.send(...read('file:///9999'))).get(cacheStatusKey)).toBe('hit')
    expect((await g.send(...read('file:///0'))).get(cacheStatusKey)).toBe('miss')
  })

  it('does not store an answer over maxEntryBytes', async () => {
    const g = gateway({ maxEntryBytes: 1_000 }, () => ({
      contents: [{ uri: 'u', text: 'y'.repeat(2_000) }],
    }))
    await g.send(...read())
    expect((await g.send(...read())).get(cacheStatusKey)).toBe('miss')
  })

  it("reports hits, misses, stale and evictions as a stats source of kind 'cache'", async () => {
    const registry = createStatsRegistry()
    const g = gateway({ statsRegistry: registry, maxEntries: 1 })
    await g.send(...read('file:///a'))
    await g.send(...read('file:///a'))
    await g.send(...read('file:///b'))
    const [source] = registry.sources()
    expect(source).toMatchObject({ kind: 'cache', name: 'cache' })
    expect(source?.read()).toMatchObject({ hits: 1, misses: 2, stale: 0, evictions: 1, entries: 1 })
    await g.layer.close()
    expect(registry.sources()).toEqual([])
  })

  it('answers from the upstream, and logs once, when the store fails', async () => {
    const lines: string[] = []
    const broken = memoryCacheStore()
    broken.get = () => {
      throw new Error('store down')
    }
    const g = gateway({ store: broken, log: (line: string) => lines.push(line) })
    const answers = [await g.send(...read()), await g.send(...read())]
    expect(answers.map(textOf)).toEqual(['v1', 'v2'])
    expect(answers[0]?.get(cacheStatusKey)).toBe('bypass')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/store failed \(store down\); answering from the upstream/)
  })

  it("sets core's cacheStatusKey, the one it exports (metrics reads it without importing the cache)", () => {
    expect(cacheStatusKey).toBe(core.cacheStatusKey)
  })

  it('checks its options when the factory runs', () => {
    expect(() => cache({ ttlMs: 0 })).toThrow(/\[@mcpx\/transformers\] ttlMs must be/)
    expect(() => cache({ ttl: 5 } as never)).toThrow(/cache\(\) options key "ttl"/)
    expect(() => cache({ store: memoryCacheStore(), maxEntries: 5 } as never)).toThrow(
      /store must be given alone/,
    )
    expect(() => cache({ vary: ['nobody'] as never })).toThrow(/vary\[0\] must be/)
    expect(() => cache({ tools: { include: [''] } })).toThrow(/tools.include must be/)
    // A misspelt key would cache nothing (or everything), silently.
    expect(() => cache({ tools: { includes: ['search'] } as never })).toThrow(
      /tools key "includes"/,
    )
    expect(() => cache({ resources: { exclude: [], trustHints: true } as never })).toThrow(
      /resources key "trustHints"/,
    )
    expect(() => cache({ prompts: 'all' as never })).toThrow(/prompts must be/)
    expect(() => cache({ tools: { include: ['x'], trustHints: true } })).not.toThrow()
    expect(() => cache({ vary: [{ header: 'x-tenant', claim: 'tenant' } as never] })).toThrow(
      /vary\[0\] must be/,
    )
  })
})
