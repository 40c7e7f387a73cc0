import { describe, expect, it } from 'vitest'
import { checkPinLock, lockHashes, lockOf, memoryPinStore } from './pin-store.js'

const h = (c: string) => `sha256:${c.repeat(64)}`

describe('memoryPinStore', () => {
  it('keeps pins per upstream and tool, and re-pins in place', async () => {
    const store = memoryPinStore()
    expect(await store.set('a', 't', { hash: h('1') })).toBe(true)
    expect(await store.set('a', 't', { hash: h('2') })).toBe(true)
    expect(await store.get('a', 't')).toEqual({ hash: h('2') })
    expect(await store.get('b', 't')).toBeUndefined()
  })

  it('past maxPins pins nothing new and evicts nothing', async () => {
    const store = memoryPinStore({ maxPins: 2 })
    await store.set('a', 'one', { hash: h('1') })
    await store.set('a', 'two', { hash: h('2') })
    expect(await store.set('a', 'junk', { hash: h('3') })).toBe(false)
    expect(await store.get('a', 'one')).toEqual({ hash: h('1') })
    expect(await store.set('a', 'one', { hash: h('4') })).toBe(true) // a re-pin takes no room
    await store.delete('a', 'two')
    expect(await store.set('a', 'junk', { hash: h('3') })).toBe(true)
    expect((await store.entries()).map((e) => e.tool)).toEqual(['one', 'junk'])
  })

  it('refuses a bad bound', () => {
    expect(() => memoryPinStore({ maxPins: 0 })).toThrow('maxPins must be an integer ≥ 1')
  })
})

describe('pin locks', () => {
  it('checks the shape and every hash', () => {
    expect(() => checkPinLock({ version: 2, tools: {} })).toThrow('lock.version must be 1')
    expect(() => checkPinLock({ version: 1, tools: { a: { t: 'md5:1' } } })).toThrow(
      'lock.tools.a.t must be sha256: and 64 hex digits',
    )
    expect(() => checkPinLock({ version: 1, tools: [] })).toThrow('lock.tools must be an object')
    expect(() => checkPinLock({ version: 1, tools: {}, extra: 1 })).toThrow('lock key "extra"')
  })

  it('sorts entries, and keeps a tool named __proto__ a tool', () => {
    const lock = lockOf([
      { upstream: 'z', tool: 'b', record: { hash: h('1') } },
      { upstream: 'a', tool: '__proto__', record: { hash: h('2') } },
      { upstream: 'z', tool: 'a', record: { hash: h('3') } },
    ])
    expect(JSON.stringify(lock)).toBe(
      `{"version":1,"tools":{"a":{"__proto__":"${h('2')}"},"z":{"a":"${h('3')}","b":"${h('1')}"}}}`,
    )
    const parsed = checkPinLock(JSON.parse(JSON.stringify(lock)))
    expect(lockHashes(parsed).get('a')?.get('__proto__')).toBe(h('2'))
    expect(lockHashes(parsed).get('a')?.get('constructor')).toBeUndefined()
  })
})
