import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IdTable, SlotTable } from './id-table.js'

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

  it('behaves as a Map under any sequence of sets and deletes', () => {
    const id = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('0', '1', 'a'))
    const op = fc.tuple(fc.boolean(), id, fc.integer())
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const table = new IdTable<number>()
        const model = new Map<string | number, number>()
        for (const [isSet, key, value] of ops) {
          if (isSet) {
            table.set(key, value)
            model.set(key, value)
          } else expect(table.delete(key)).toBe(model.delete(key))
          expect(table.size).toBe(model.size)
        }
        expect(new Map(table)).toEqual(model)
      }),
    )
  })

  it('iterates a snapshot, so entries may be deleted while it does', () => {
    const table = new IdTable<string>()
    table.set(2, 'b')
    table.set('x', 'c')
    for (const [id] of table) table.delete(id)
    expect(table.size).toBe(0)
  })
})

describe('SlotTable', () => {
  const entry = (id: number) => ({ id })

  it('gives ids whose slots are free, skipping those still taken', () => {
    const table = new SlotTable<{ id: number }>()
    const long = entry(table.nextId())
    table.set(long)
    const seen = new Set<number>([long.id])
    for (let i = 0; i < 1000; i++) {
      const e = entry(table.nextId())
      expect(seen.has(e.id)).toBe(false)
      seen.add(e.id)
      table.set(e)
      expect(table.get(long.id)).toBe(long)
      table.delete(e.id)
    }
    expect(table.size).toBe(1)
  })

  it('keeps every entry as it grows, and answers nothing for ids it does not hold', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (adds) => {
        const table = new SlotTable<{ id: number }>()
        const live: { id: number }[] = []
        for (const add of adds) {
          if (add || live.length === 0) {
            const e = entry(table.nextId())
            table.set(e)
            live.push(e)
          } else table.delete(live.shift()!.id)
        }
        expect(table.size).toBe(live.length)
        for (const e of live) expect(table.get(e.id)).toBe(e)
        expect(table.values().sort((a, b) => a.id - b.id)).toEqual(live)
        expect(table.get(-1)).toBeUndefined()
        expect(table.get(1.5)).toBeUndefined()
      }),
    )
  })
})
