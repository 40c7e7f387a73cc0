import { describe, expect, it } from 'vitest'
import { memoised } from './cache-key.js'

describe('the selection memo', () => {
  it('remembers short names but never holds a multi-KB URI', () => {
    const asked: string[] = []
    const test = memoised((name) => {
      asked.push(name)
      return true
    })
    test('search')
    test('search')
    expect(asked).toEqual(['search'])

    const long = `file:///${'a'.repeat(4096)}`
    test(long)
    test(long)
    expect(asked.filter((name) => name === long)).toHaveLength(2)
  })

  it('holds a bounded number of characters, however long the names it is asked', () => {
    const asked = new Set<string>()
    const test = memoised((name) => {
      asked.add(name)
      return true
    })
    // Names just under the memoised length: many of them still start the memo over.
    const names = Array.from({ length: 1024 }, (_, i) => `file:///${i}/${'b'.repeat(240)}`)
    for (const name of names) test(name)
    asked.clear()
    for (const name of names) test(name)
    expect(asked.size).toBeGreaterThan(0)
  })
})
