import { describe, expect, it } from 'vitest'
import type { CacheWrite } from './cache-store.js'
import { memoryCacheStore } from './memory-cache-store.js'

const write = (size: number, tags: string[] = ['uri:a']): CacheWrite => ({
  value: { n: size },
  json: '{}',
  tags,
  startedAt: 0,
  freshUntil: 1,
  staleUntil: 2,
  size,
})

describe('memoryCacheStore', () => {
  it('evicts the least recently used past maxBytes, and counts it', () => {
    const store = memoryCacheStore({ maxBytes: 250 })
    store.set('a', write(100))
    store.set('b', write(100))
    store.get('a', [])
    store.set('c', write(100))
    expect(store.get('b', [])).toBeUndefined()
    expect(store.get('a', [])).toBeDefined()
    expect(store.stats()).toEqual({ entries: 2, bytes: 200, evictions: 1 })
  })

  it('refuses an entry larger than maxBytes without evicting anything', () => {
    const store = memoryCacheStore({ maxBytes: 100 })
    store.set('a', write(50))
    store.set('big', write(101))
    expect(store.get('big', [])).toBeUndefined()
    expect(store.stats().entries).toBe(1)
  })

  it('invalidates by tag, and forgets the tags of what it evicted or replaced', () => {
    const store = memoryCacheStore({ maxEntries: 2 })
    store.set('a', write(1, ['uri:x']))
    store.set('b', write(1, ['uri:y']))
    store.set('a', write(1, ['uri:z'])) // replaced: no longer tagged uri:x
    store.invalidate('uri:x')
    expect(store.get('a', [])).toBeDefined()
    store.invalidate('uri:z')
    expect(store.get('a', [])).toBeUndefined()
    expect(store.get('b', [])).toBeDefined()
  })

  it('checks its options', () => {
    expect(() => memoryCacheStore({ maxEntries: 0 })).toThrow(
      /maxEntries must be an integer from 1 to 1000000/,
    )
    // lru-cache allocates the table for maxEntries at once: 2^31 - 1 would exhaust the heap.
    expect(() => memoryCacheStore({ maxEntries: 2 ** 31 - 1 })).toThrow(
      /maxEntries must be an integer from 1 to 1000000/,
    )
    expect(() => memoryCacheStore({ max: 1 } as never)).toThrow(/key "max"/)
  })
})
