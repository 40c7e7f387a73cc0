import { createProxy } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { startupCheck } from '../src/startup-check.js'

describe('startupCheck()', () => {
  it('cancels a list that outlasts its timeout, so the work behind it stops too', async () => {
    const cancelled: string[] = []
    const proxy = createProxy({
      terminal: async (ctx) => {
        if (ctx.method === 'initialize') {
          ctx.result = {
            protocolVersion: '2025-11-25',
            capabilities: {},
            serverInfo: { name: 'x', version: '1' },
          } as never
          return
        }
        if (ctx.kind !== 'request') return
        // A list that never answers until it is cancelled.
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
        // Cancelled as the step's timeout passed, not merely swept up when the session closes.
        cancelled.push(`${ctx.method}: ${(ctx.signal.reason as Error).message}`)
      },
    })
    const started = performance.now()
    await startupCheck(proxy, 100)
    expect(performance.now() - started).toBeLessThan(2_000)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(cancelled.sort()).toEqual(
      ['prompts/list', 'resources/list', 'resources/templates/list', 'tools/list'].map(
        (method) => `${method}: Request cancelled by the other side`,
      ),
    )
    await proxy.close()
  })
})
