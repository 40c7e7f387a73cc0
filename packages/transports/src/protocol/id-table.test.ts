import { describe, expect, it } from 'vitest'
import { IdTable } from './id-table.js'

describe('IdTable', () => {
  it('keeps the ids 1 and "1" apart', () => {
    const table = new IdTable<string>()
    table.set(1, 'number')
    table.set('1', 'string')
    expect(table.size).toBe(2)
    expect(table.get(1)).toBe('number')
    expect(table.get('1')).toBe('string')
    expect(table.delete(1)).toBe(true)
    expect(table.has(1)).toBe(false)
    expect(table.get('1')).toBe('string')
    expect(table.size).toBe(1)
  })

  it('counts a replaced entry once and a missing delete not at all', () => {
    const table = new IdTable<number>()
    table.set('a', 1)
    table.set('a', 2)
    expect(table.size).toBe(1)
    expect(table.delete('b')).toBe(false)
    expect(table.size).toBe(1)
    expect(table.get('a')).toBe(2)
  })

  it('iterates every entry and allows deleting while it does', () => {
    const table = new IdTable<string>()
    table.set(2, 'b')
    table.set('x', 'c')
    table.set(1, 'a')
    const seen: [unknown, string][] = []
    for (const [id, value] of table) {
      seen.push([id, value])
      table.delete(id)
    }
    expect(seen).toEqual([
      [1, 'a'],
      [2, 'b'],
      ['x', 'c'],
    ])
    expect(table.size).toBe(0)
    expect(table.values()).toEqual([])
  })

  it('is empty after clear', () => {
    const table = new IdTable<string>()
    table.set(1, 'a')
    table.clear()
    expect(table.size).toBe(0)
    expect(table.get(1)).toBeUndefined()
  })
})
