import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { memoryEventStore, utf8Length } from './event-store.js'

describe('memoryEventStore', () => {
  it('returns the events of one stream after a place, oldest first', () => {
    const store = memoryEventStore()
    for (let seq = 1; seq <= 3; seq++) {
      store.append('s', { streamId: 'p1', seq, data: `a${seq}` })
      store.append('s', { streamId: 'p2', seq, data: `b${seq}` })
    }
    expect(store.after('s', 'p1', 1).map((e) => e.data)).toEqual(['a2', 'a3'])
    expect(store.after('other', 'p1', 0)).toEqual([])
  })

  it('forgets a session that is dropped', () => {
    const store = memoryEventStore()
    store.append('s', { streamId: 'p1', seq: 1, data: 'x' })
    store.drop('s')
    expect(store.after('s', 'p1', 0)).toEqual([])
    expect(store.size).toEqual({ events: 0, bytes: 0 })
  })

  it('stays within every bound, keeping the newest events, whatever is appended', () => {
    const op = fc.oneof(
      fc.record({
        session: fc.constantFrom('a', 'b', 'c', 'd'),
        stream: fc.constantFrom('p1', 'p2', 'g3'),
        data: fc.string({ unit: 'binary', maxLength: 40 }),
      }),
      fc.record({ drop: fc.constantFrom('a', 'b', 'c', 'd') }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const limits = { maxEventsPerSession: 7, maxBytesPerSession: 120, maxBytes: 300 }
        const store = memoryEventStore(limits)
        const seqs = new Map<string, number>()
        for (const o of ops) {
          if ('drop' in o) {
            store.drop(o.drop)
            continue
          }
          const key = `${o.session}/${o.stream}`
          const seq = (seqs.get(key) ?? 0) + 1
          seqs.set(key, seq)
          store.append(o.session, { streamId: o.stream, seq, data: o.data })
          expect(store.size.bytes).toBeLessThanOrEqual(limits.maxBytes)
        }
        let events = 0
        for (const session of ['a', 'b', 'c', 'd']) {
          let count = 0
          let bytes = 0
          for (const stream of ['p1', 'p2', 'g3']) {
            const kept = store.after(session, stream, 0)
            // What is kept of a stream is its newest events, with no gap.
            for (const [i, event] of kept.entries()) expect(event.seq).toBe(kept[0]!.seq + i)
            count += kept.length
            bytes += kept.reduce((sum, e) => sum + utf8Length(e.data), 0)
          }
          expect(count).toBeLessThanOrEqual(limits.maxEventsPerSession)
          expect(bytes).toBeLessThanOrEqual(limits.maxBytesPerSession)
          events += count
        }
        expect(store.size.events).toBe(events)
      }),
    )
  })

  it('counts UTF-8 bytes as TextEncoder does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length)
      }),
    )
  })

  it('rejects bounds that are not positive', () => {
    expect(() => memoryEventStore({ maxBytes: 0 })).toThrow(TypeError)
    expect(() => memoryEventStore({ maxEventsPerSession: -1 })).toThrow(TypeError)
  })
})
