import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fakeGateway, toolsUpstream } from '../test/fake.js'

// Tool names as upstreams send them: mostly valid, some long, some with characters LLM APIs reject.
const toolName = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/),
  fc.stringMatching(/^[A-Za-z0-9_]{60,130}$/),
  fc.string({ minLength: 1, maxLength: 80 }),
)
const catalog = fc.uniqueArray(toolName, { minLength: 1, maxLength: 12 })

describe('router namespacing, round trip', () => {
  it('exposes every name valid and ≤ 64 characters, and a call of it reaches its upstream with the original name', async () => {
    await fc.assert(
      fc.asyncProperty(catalog, catalog, async (mathTools, dataTools) => {
        const gw = fakeGateway(
          { math: toolsUpstream('math', mathTools), data: toolsUpstream('data', dataTools) },
          { upstreams: { math: { namespace: true }, data: { namespace: 'd' } } },
        )
        const { tools } = (await gw.request('tools/list')) as { tools: { name: string }[] }
        expect(tools).toHaveLength(mathTools.length + dataTools.length)
        for (const { name } of tools) expect(name).toMatch(/^[A-Za-z0-9_.-]{1,64}$/)
        const expected = [
          ...mathTools.map((original) => ({ upstream: 'math', original })),
          ...dataTools.map((original) => ({ upstream: 'data', original })),
        ]
        for (const [i, { name }] of tools.entries()) {
          await gw.request('tools/call', { name })
          const call = gw.calls.at(-1)!
          expect({ upstream: call.upstream, original: call.params.name }).toEqual(expected[i])
        }
      }),
      { numRuns: 200 },
    )
  })
})
