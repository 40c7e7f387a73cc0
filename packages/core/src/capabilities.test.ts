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

  it('gives an empty object for no servers', () => {
    expect(mergeCapabilities([])).toEqual({})
  })
})
