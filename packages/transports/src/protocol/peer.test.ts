import { ErrorCode, type Message } from '@mcpx/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Peer } from './peer.js'

/** A peer whose writes are recorded; the test plays the other side. */
function peer() {
  const sent: Message[] = []
  const p = new Peer('upstream "slow"', (message) => sent.push(message), {
    request: async () => ({}),
    notification: () => {},
  })
  return { peer: p, sent }
}

const progress = (token: number, n: number): Message => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: token, progress: n },
})

/** Observe a promise's outcome without awaiting it. */
function watch(promise: Promise<unknown>) {
  const state: { error: unknown; settled: boolean } = { error: undefined, settled: false }
  promise.then(
    () => {
      state.settled = true
    },
    (error: unknown) => {
      state.settled = true
      state.error = error
    },
  )
  return state
}

describe('Peer maxTotalTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('fails a request whose other side sends progress forever once the total time is up', async () => {
    const { peer: p, sent } = peer()
    const call = watch(
      p.request(
        'tools/call',
        { name: 'forever', _meta: { progressToken: 'client-token' } },
        { timeout: 1000, maxTotalTimeout: 5000, onProgress: () => {} },
      ),
    )
    const id = (sent[0] as { id: number }).id
    // Progress every 500 ms keeps the 1 s idle timeout from ever firing.
    for (let n = 1; n < 10; n++) {
      await vi.advanceTimersByTimeAsync(500)
      p.receive(progress(id, n))
    }
    expect(call.settled).toBe(false) // 4.5 s: alive
    await vi.advanceTimersByTimeAsync(600) // past 5 s plus one sweep
    expect(call.settled).toBe(true)
    expect(call.error).toMatchObject({ code: ErrorCode.RequestTimeout })
  })

  it('sends notifications/cancelled for a request that ran out of total time', async () => {
    const { peer: p, sent } = peer()
    watch(p.request('tools/call', undefined, { maxTotalTimeout: 2000 }))
    const id = (sent[0] as { id: number }).id
    await vi.advanceTimersByTimeAsync(2300)
    expect(sent[1]).toMatchObject({ method: 'notifications/cancelled', params: { requestId: id } })
  })

  it('still restarts the idle timeout on progress within the total time', async () => {
    const { peer: p, sent } = peer()
    const call = watch(
      p.request(
        'tools/call',
        { _meta: { progressToken: 1 } },
        { timeout: 1000, maxTotalTimeout: 10_000, onProgress: () => {} },
      ),
    )
    const id = (sent[0] as { id: number }).id
    await vi.advanceTimersByTimeAsync(800)
    p.receive(progress(id, 1))
    await vi.advanceTimersByTimeAsync(800) // 1.6 s in, 0.8 s since progress
    expect(call.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(400) // 1.2 s since progress
    expect(call.error).toMatchObject({ code: ErrorCode.RequestTimeout })
  })

  it('leaves no timer behind once the request is answered', async () => {
    const { peer: p, sent } = peer()
    const call = p.request('ping', undefined, { timeout: 1000, maxTotalTimeout: 5000 })
    const id = (sent[0] as { id: number }).id
    p.receive({ jsonrpc: '2.0', id, result: {} })
    await call
    await vi.advanceTimersByTimeAsync(200) // one sweep notices nothing is timed
    expect(vi.getTimerCount()).toBe(0)
  })
})
