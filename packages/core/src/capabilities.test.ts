import { describe, expect, it } from 'vitest'
import { mergeCapabilities } from './capabilities.js'

describe('mergeCapabilities', () => {
  it('turns a capability on when any server has it, nested flags included', () => {
    expect(
      mergeCapabilities([
        { tools: {}, resources: { subscribe: true } },
        { tools: { listChanged: true }, logging: {}, resources: { listChanged: false } },
      ]),
    ).toEqual({
      tools: { listChanged: true },
      logging: {},
      resources: { subscribe: true, listChanged: false },
    })
  })

  it('does not change its inputs', () => {
    const first = { tools: { listChanged: false } }
    mergeCapabilities([first, { tools: { listChanged: true } }])
    expect(first).toEqual({ tools: { listChanged: false } })
  })

  it('ignores keys that would reach Object.prototype (an upstream is untrusted)', () => {
    const merged = mergeCapabilities([
      {},
      JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"x":1}}'),
    ])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.keys(merged)).toEqual([])
  })

  it('gives an empty object for no servers', () => {
    expect(mergeCapabilities([])).toEqual({})
  })
})
