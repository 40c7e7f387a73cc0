/**
 * Issue 12's retry-budget acceptance, end to end: a real proxy, `forward()`
 * and `upstream()` to the fault-injecting server in process. Its controller
 * counts the calls that reached it (`stats().received`), so the test counts
 * attempts where they land, not where retry() thinks it sent them.
 */
import { createProxy, ErrorCode } from '@mcpx/core'
import {
  createFaultController,
  createFaultyServer,
  type FaultController,
  type FaultOptions,
} from '@mcpx/test-utils'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { afterEach, describe, expect, it } from 'vitest'
import { type RetryOptions, retry } from '../src/retry.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

/** Short waits: the budget, not the backoff, is under test. */
const QUICK = { baseDelay: 2, maxDelay: 5 }

function gateway(options: RetryOptions, faults: FaultOptions | FaultController) {
  const controller = 'run' in faults ? (faults as FaultController) : createFaultController(faults)
  const up = upstream('faulty', inProcess(createFaultyServer(controller)), { mode: 'shared' })
  const proxy = createProxy({ terminal: forward(up) })
  proxy.use(retry({ upstream: 'faulty', backoff: QUICK, ...options }))
  cleanup.push(() => proxy.close())
  let id = 0
  const call = (name: string, extra: Record<string, unknown> = {}) =>
    proxy.handle({
      jsonrpc: '2.0',
      id: ++id,
      method: 'tools/call',
      params: { name, arguments: { text: `call ${id}` }, ...extra },
    }) as Promise<Record<string, any>>
  return { controller, call }
}

describe('retry() through a real proxy', () => {
  it('keeps upstream attempts within 1.2 × the requests offered plus the minimum when every call fails', async () => {
    const { controller, call } = gateway({ idempotentTools: ['echo'] }, { errorRate: 1, seed: 1 })
    const offered = 1_000
    const started = performance.now()
    const codes = new Set<number>()
    for (let sent = 0; sent < offered; sent += 100) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => call('echo')))
      for (const answer of answers) codes.add(answer.error.code)
    }
    const elapsed = performance.now() - started
    const { received } = controller.stats()
    // The budget's promise: retries ≤ 0.2 · requests + minRetries (10) once per window (10 s) spanned.
    const bound = 1.2 * offered + 10 * (Math.floor(elapsed / 10_000) + 1)
    expect(received).toBeLessThanOrEqual(bound)
    // Not vacuous: without the budget, 3 attempts each would have made 3,000.
    expect(received).toBeGreaterThan(offered + 100)
    expect([...codes]).toEqual([ErrorCode.InternalError])
  })

  it('attempts a non-idempotent tools/call that reached the upstream and failed exactly once', async () => {
    const { controller, call } = gateway({ attempts: 5 }, { errorRate: 1 })
    const answer = await call('echo')
    expect(answer.error).toEqual({
      code: ErrorCode.InternalError,
      message: 'Upstream "faulty" had an internal error',
      data: { upstream: 'faulty' },
    })
    expect(controller.stats().received).toBe(1)
  })

  it('retries an idempotent tools/call, which succeeds once the fault clears', async () => {
    const faults = createFaultController({ errorRate: 1 })
    // The fault clears as soon as the first call has failed.
    const clearing: FaultController = Object.create(faults)
    clearing.run = (signal, run) => faults.run(signal, run).finally(() => faults.clear())
    const { call } = gateway({ idempotentTools: ['echo'] }, clearing)
    const answer = await call('echo')
    expect(answer.result.content).toEqual([{ type: 'text', text: 'call 1' }])
    expect(faults.stats()).toMatchObject({ received: 2, errors: 1, answered: 1 })
  })

  it('never retries a call that asked for progress, idempotent or not', async () => {
    const { controller, call } = gateway({ idempotentTools: ['echo'] }, { errorRate: 1 })
    const answer = await call('echo', { _meta: { progressToken: 'p1' } })
    expect(answer.error.code).toBe(ErrorCode.InternalError)
    expect(controller.stats().received).toBe(1)
  })
})
