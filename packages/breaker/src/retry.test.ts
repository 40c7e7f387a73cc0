import {
  type AbortSource,
  abortSource,
  backoffDelay,
  Context,
  compose,
  deadlineKey,
  ErrorCode,
  McpxError,
  type Next,
  targetKey,
  toolKey,
} from '@mcpx/core'
import { seededRandom } from '@mcpx/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBulkhead } from './bulkhead.js'
import { CircuitOpenError } from './circuit-breaker.js'
import { type RetryOptions, retry } from './retry.js'
import { timeout } from './timeout.js'

const ECHO = { name: 'echo', arguments: { text: 'x' } }

function request(method = 'tools/list', params: unknown = {}) {
  const signal = abortSource()
  const ctx = new Context<string>({
    kind: 'request',
    id: 1,
    method,
    params: params as never,
    signal,
  })
  return { ctx, signal }
}

const internal = (n: number) => new McpxError(ErrorCode.InternalError, `failure ${n}`)

/** A `next` that throws `error(n)` on the first `failures` attempts, then answers `ok <n>`. */
function failing(ctx: Context, failures: number, error: (n: number) => unknown = internal) {
  const calls: { at: number; fork: Context | undefined }[] = []
  const next: Next = async (fork) => {
    const n = calls.push({ at: Date.now(), fork })
    if (n <= failures) throw error(n)
    ;(fork ?? ctx).result = { content: [{ type: 'text', text: `ok ${n}` }] }
  }
  return { next, calls }
}

/** Run `options`' middleware on `ctx` to the end, timers included. */
async function run(options: RetryOptions, ctx: Context, next: Next) {
  const done = retry(options)(ctx, next).then(
    () => ({ error: undefined }),
    (error: unknown) => ({ error }),
  )
  await vi.runAllTimersAsync()
  return done
}

const gaps = (calls: { at: number }[]) => calls.slice(1).map((c, i) => c.at - calls[i]!.at)
const NO_JITTER = { baseDelay: 100, maxDelay: 1_000, factor: 2, jitter: 0 }

describe('retry()', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(0)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('makes the first attempt with a plain next(), no fork', async () => {
    const { ctx } = request()
    const { next, calls } = failing(ctx, 0)
    expect(await run({}, ctx, next)).toEqual({ error: undefined })
    expect(calls).toEqual([{ at: 0, fork: undefined }])
    expect(ctx.result).toEqual({ content: [{ type: 'text', text: 'ok 1' }] })
  })

  it('retries a failure up to attempts in all, then throws the last error unchanged', async () => {
    const { ctx } = request()
    const errors: McpxError[] = []
    const { next, calls } = failing(ctx, 10, (n) => errors[errors.push(internal(n)) - 1])
    const { error } = await run({ attempts: 4 }, ctx, next)
    expect(calls).toHaveLength(4)
    expect(error).toBe(errors[3])
    expect(ctx.result).toBeUndefined()
  })

  it('answers with the first success, run on a fork of the request', async () => {
    const { ctx } = request()
    const { next, calls } = failing(ctx, 2)
    expect(await run({}, ctx, next)).toEqual({ error: undefined })
    expect(calls).toHaveLength(3)
    expect(calls[1]!.fork).toBeInstanceOf(Context)
    expect(calls[1]!.fork).not.toBe(ctx)
    expect(ctx.result).toEqual({ content: [{ type: 'text', text: 'ok 3' }] })
    expect(ctx.error).toBeUndefined()
  })

  it('waits backoffDelay(retry, backoff, random) before each retry', async () => {
    const backoff = { baseDelay: 100, maxDelay: 1_000, factor: 2, jitter: 1 }
    const { ctx } = request()
    const { next, calls } = failing(ctx, 10)
    await run({ attempts: 5, backoff, random: seededRandom(7) }, ctx, next)
    const random = seededRandom(7)
    expect(gaps(calls)).toEqual([1, 2, 3, 4].map((n) => backoffDelay(n, backoff, random)))
  })

  it('follows the capped exponential schedule without jitter', async () => {
    const { ctx } = request()
    const { next, calls } = failing(ctx, 10)
    await run({ attempts: 6, backoff: { ...NO_JITTER, maxDelay: 500 } }, ctx, next)
    expect(gaps(calls)).toEqual([100, 200, 400, 500, 500])
  })

  it("waits an upstream's Retry-After when it is longer than the backoff", async () => {
    const { ctx } = request()
    const slowDown = () =>
      new McpxError(ErrorCode.UpstreamUnavailable, 'busy', { data: { retryAfterMs: 1_500 } })
    const { next, calls } = failing(ctx, 1, slowDown)
    await run({ backoff: NO_JITTER }, ctx, next)
    expect(gaps(calls)).toEqual([1_500])
  })

  it('gives up at once when Retry-After asks for longer than maxRetryAfter (10 s by default), rather than wait out the cap and fail again', async () => {
    const after = (seconds: number) => () =>
      new McpxError(ErrorCode.UpstreamUnavailable, 'busy', {
        headers: { 'retry-after': String(seconds) },
      })
    for (const [options, seconds, retried] of [
      [{}, 3600, false],
      [{}, 10, true],
      [{ maxRetryAfter: 2_500 }, 3, false],
    ] as const) {
      const { ctx } = request()
      const { next, calls } = failing(ctx, 1, after(seconds))
      await run({ ...options, backoff: NO_JITTER }, ctx, next)
      expect(calls).toHaveLength(retried ? 2 : 1)
    }
  })

  it('does not retry an open circuit on the same upstream: it stays open for its whole duration', async () => {
    const { ctx } = request('resources/read', { uri: 'file:///a' })
    const open = new CircuitOpenError({ state: 'open', retryAfterMs: 50, upstream: 'x' })
    const { next, calls } = failing(ctx, 1, () => open)
    expect((await run({}, ctx, next)).error).toBe(open)
    expect(calls).toHaveLength(1)
  })

  it('ends the wait at once when the client cancels, clears its timer and makes no further attempt', async () => {
    const { ctx, signal } = request()
    const { next, calls } = failing(ctx, 10)
    const done = retry({ backoff: { ...NO_JITTER, baseDelay: 1_000 } })(ctx, next).catch((e) => e)
    await vi.advanceTimersByTimeAsync(10)
    expect(vi.getTimerCount()).toBe(1)
    signal.abort(new McpxError(ErrorCode.RequestCancelled, 'Request cancelled'))
    // Settles without the clock moving on: the abort ended the wait.
    expect((await done).message).toBe('failure 1')
    expect(vi.getTimerCount()).toBe(0)
    expect(Date.now()).toBe(10)
    expect(calls).toHaveLength(1)
  })

  it('does not retry once the client cancelled during an attempt', async () => {
    const { ctx, signal } = request()
    const { next, calls } = failing(ctx, 10, (n) => {
      signal.abort()
      return internal(n)
    })
    // No wait to cut short: only the check stops it.
    await run({ backoff: { baseDelay: 0 } }, ctx, next)
    expect(calls).toHaveLength(1)
  })

  it('leaves no abort listener on the request after its waits', async () => {
    const listeners = new Set<unknown>()
    const signal: AbortSource = {
      aborted: false,
      reason: undefined,
      onAbort(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    }
    const ctx = new Context<string>({ kind: 'request', id: 1, method: 'tools/list', signal })
    const { next, calls } = failing(ctx, 2)
    await run({}, ctx, next)
    expect(calls).toHaveLength(3)
    expect(listeners.size).toBe(0)
  })

  it('does not retry an error that is not a failure (-32602)', async () => {
    const { ctx } = request()
    const invalid = new McpxError(ErrorCode.InvalidParams, 'Unknown tool: deploy')
    const { next, calls } = failing(ctx, 10, () => invalid)
    expect((await run({}, ctx, next)).error).toBe(invalid)
    expect(calls).toHaveLength(1)
  })

  it('asks isRetryable(error, ctx) instead when given', async () => {
    const { ctx } = request()
    const invalid = new McpxError(ErrorCode.InvalidParams, 'not yet')
    const isRetryable = vi.fn((error: unknown) => (error as McpxError).code === -32602)
    const { next, calls } = failing(ctx, 1, () => invalid)
    await run({ isRetryable }, ctx, next)
    expect(calls).toHaveLength(2)
    expect(isRetryable).toHaveBeenCalledWith(invalid, ctx)
  })

  it("stops retrying once the upstream's budget is spent, across requests", async () => {
    const mw = retry({ attempts: 3, budget: { ratio: 0, minRetries: 1 } })
    const attempts: number[] = []
    for (let i = 0; i < 2; i++) {
      const { ctx } = request()
      const { next, calls } = failing(ctx, 10)
      const done = mw(ctx, next).catch(() => {})
      await vi.runAllTimersAsync()
      await done
      attempts.push(calls.length)
    }
    // One retry in the budget: the first request gets it, the second none.
    expect(attempts).toEqual([2, 1])
  })

  it('keeps one budget per upstream name, and one shared by the names past maxUpstreams', async () => {
    const mw = retry({ budget: { ratio: 0, minRetries: 1 }, maxUpstreams: 2 })
    const attempts: Record<string, number> = {}
    for (const upstream of ['a', 'a', 'b', 'c', 'd']) {
      const { ctx } = request()
      ctx.set(targetKey, { upstream, method: 'tools/list', params: {} })
      const { next, calls } = failing(ctx, 10)
      const done = mw(ctx, next).catch(() => {})
      await vi.runAllTimersAsync()
      await done
      attempts[upstream] = (attempts[upstream] ?? 0) + calls.length
    }
    // a: 2 + 1 (its own budget spent); b: its own; c and d share the overflow budget.
    expect(attempts).toEqual({ a: 3, b: 2, c: 2, d: 1 })
  })

  it('passes notifications, initialize, ping and server-to-client requests through untouched', async () => {
    const contexts = [
      new Context<string>({ kind: 'notification', method: 'notifications/roots/list_changed' }),
      request('initialize', { protocolVersion: '2025-06-18' }).ctx,
      request('ping').ctx,
      new Context<string>({
        kind: 'request',
        id: 2,
        method: 'sampling/createMessage',
        direction: 'toClient',
      }),
    ]
    for (const ctx of contexts) {
      const params = ctx.params
      const { next, calls } = failing(ctx, 10)
      const { error } = await run({}, ctx, next)
      expect((error as Error).message).toBe('failure 1')
      expect(calls).toEqual([{ at: 0, fork: undefined }])
      expect(ctx.params).toBe(params)
    }
  })

  it('attempts a non-idempotent tools/call that may have reached the upstream once', async () => {
    const errors = [
      internal(1),
      new McpxError(ErrorCode.UpstreamUnavailable, 'Upstream "x" closed the connection'),
      new McpxError(ErrorCode.RequestTimeout, 'Request to upstream "x" timed out'),
      // An upstream's claim to be a breaker is not a CircuitOpenError of this process.
      new McpxError(ErrorCode.UpstreamUnavailable, 'circuit open', { data: { state: 'open' } }),
      new TypeError('fetch failed'),
    ]
    for (const error of errors) {
      const { ctx } = request('tools/call', ECHO)
      const { next, calls } = failing(ctx, 10, () => error)
      expect((await run({ idempotentTools: ['other'] }, ctx, next)).error).toBe(error)
      expect(calls).toHaveLength(1)
    }
  })

  it('retries a non-idempotent tools/call that provably never left the gateway (a bulkhead refused it)', async () => {
    const full = createBulkhead({ limit: 1, upstream: 'x' })
    full.tryEnter()
    const { ctx } = request('tools/call', ECHO)
    const { next, calls } = failing(ctx, 1, () => full.overloaded())
    // -32011 is no failure by default: retried only where isRetryable says so.
    expect((await run({ isRetryable: () => true }, ctx, next)).error).toBeUndefined()
    expect(calls).toHaveLength(2)
  })

  it("does not take an upstream's own -32011 or data.sent for proof that a tools/call was never sent", async () => {
    const errors = [
      new McpxError(ErrorCode.UpstreamUnavailable, 'not connected', { data: { sent: false } }),
      new McpxError(ErrorCode.Overloaded, 'Upstream "x" has no free connection'),
    ]
    for (const error of errors) {
      const { ctx } = request('tools/call', ECHO)
      const { next, calls } = failing(ctx, 1, () => error)
      await run({ isRetryable: () => true }, ctx, next)
      expect(calls).toHaveLength(1)
    }
  })

  it('retries a tools/call of an idempotent tool, named as its upstream knows it', async () => {
    const { ctx } = request('tools/call', { name: 'math_add', arguments: {} })
    ctx.set(targetKey, { upstream: 'math', method: 'tools/call', params: { name: 'add' } })
    const idempotent = vi.fn((tool: string) => tool === 'add')
    const { next, calls } = failing(ctx, 1)
    expect((await run({ idempotentTools: idempotent }, ctx, next)).error).toBeUndefined()
    expect(calls).toHaveLength(2)
    expect(idempotent).toHaveBeenCalledWith('add', 'math')

    const list = request('tools/call', ECHO)
    const listed = failing(list.ctx, 1)
    await run({ idempotentTools: ['echo'] }, list.ctx, listed.next)
    expect(listed.calls).toHaveLength(2)
  })

  it('with trustHints, retries a tools/call of a tool annotated idempotentHint or readOnlyHint, and only then', async () => {
    const attemptsWith = async (
      annotations: Record<string, boolean> | undefined,
      trustHints: boolean | undefined,
    ) => {
      const { ctx } = request('tools/call', ECHO)
      if (annotations)
        ctx.set(toolKey, { name: 'echo', inputSchema: { type: 'object' }, annotations })
      const { next, calls } = failing(ctx, 1)
      await run({ trustHints }, ctx, next)
      return calls.length
    }
    expect(await attemptsWith({ idempotentHint: true }, true)).toBe(2)
    expect(await attemptsWith({ readOnlyHint: true }, true)).toBe(2)
    expect(await attemptsWith({ idempotentHint: false, destructiveHint: true }, true)).toBe(1)
    expect(await attemptsWith(undefined, true)).toBe(1)
    // Not trusted unless asked: an upstream's annotations are its own word.
    expect(await attemptsWith({ idempotentHint: true }, undefined)).toBe(1)
    expect(await attemptsWith({ idempotentHint: true }, false)).toBe(1)
  })

  it('never retries a request that asked for progress', async () => {
    const { ctx } = request('tools/call', { ...ECHO, _meta: { progressToken: 7 } })
    const { next, calls } = failing(ctx, 10)
    await run({ idempotentTools: ['echo'] }, ctx, next)
    expect(calls).toHaveLength(1)
  })

  it('starts no retry that could not begin before the deadline set above', async () => {
    const { ctx } = request()
    ctx.set(deadlineKey, 150)
    const { next, calls } = failing(ctx, 10)
    const { error } = await run({ backoff: { ...NO_JITTER, baseDelay: 200 } }, ctx, next)
    expect(calls).toHaveLength(1)
    expect((error as McpxError).code).toBe(ErrorCode.InternalError)
  })

  it('gives every attempt the deadline of a per-attempt timeout() below it afresh', async () => {
    const left: number[] = []
    const terminal = async (c: Context) => {
      left.push(c.get(deadlineKey)! - Date.now())
      throw internal(left.length)
    }
    const stack = compose([retry({ backoff: { ...NO_JITTER, baseDelay: 500 } }), timeout(100)])
    const { ctx } = request()
    const done = stack(ctx, terminal).catch((e) => e)
    await vi.runAllTimersAsync()
    expect((await done).message).toBe('failure 3')
    expect(left).toEqual([100, 100, 100])
  })

  it('lets a router below it route each attempt afresh', async () => {
    let routed = 0
    const route = async (c: Context, next: Next) => {
      if (!c.get(targetKey))
        c.set(targetKey, { upstream: `r${++routed}`, method: c.method, params: {} })
      return next()
    }
    const seen: (string | undefined)[] = []
    const terminal = async (c: Context) => {
      seen.push(c.get(targetKey)?.upstream)
      throw internal(seen.length)
    }
    const { ctx } = request()
    const done = compose([retry({ attempts: 2 }), route])(ctx, terminal).catch((e) => e)
    await vi.runAllTimersAsync()
    await done
    expect(seen).toEqual(['r1', 'r2'])
  })

  it('retries an error set on the context as it does a thrown one', async () => {
    const { ctx } = request()
    let n = 0
    const next: Next = async (fork) => {
      const c = fork ?? ctx
      if (++n < 3) c.error = internal(n)
      else c.result = { tools: [] }
    }
    expect(await run({}, ctx, next)).toEqual({ error: undefined })
    expect({ result: ctx.result, error: ctx.error, n }).toEqual({
      result: { tools: [] },
      error: undefined,
      n: 3,
    })

    const last = request().ctx
    const always: Next = async (fork) => {
      ;(fork ?? last).error = internal(++n)
    }
    expect(await run({}, last, always)).toEqual({ error: undefined })
    expect(last.error?.message).toBe('failure 6')
  })

  it('checks its options when the factory runs', () => {
    const bad: [RetryOptions, string][] = [
      [{ attempts: 0 }, 'attempts must be an integer ≥ 1'],
      [{ backoff: { baseDelay: -1 } }, 'backoff.baseDelay must be'],
      [{ backoff: { baseDelay: 500, maxDelay: 100 } }, 'backoff.maxDelay must be ≥'],
      [{ backoff: { jitter: 2 } }, 'backoff.jitter must be a number from 0 to 1'],
      [{ backoff: { delay: 1 } as never }, 'backoff key "delay" must be one of'],
      [{ budget: { ratio: -1 } }, 'budget.ratio must be a finite number ≥ 0'],
      [{ budget: { window: 5 } }, 'budget.window must be an integer ≥ 10'],
      [{ maxUpstreams: 0 }, 'maxUpstreams must be an integer ≥ 1'],
      [{ idempotentTools: 'echo' as never }, 'idempotentTools must be an array of tool names'],
      [{ idempotentTools: [''] }, 'idempotentTools must be'],
      [{ trustHints: 'yes' as never }, 'trustHints must be a boolean'],
      [{ upstream: '' }, 'upstream must be a non-empty string'],
      [{ isRetryable: true as never }, 'isRetryable must be a function'],
      [{ retries: 2 } as never, 'retry() options key "retries" must be one of'],
    ]
    for (const [options, message] of bad) {
      expect(() => retry(options)).toThrow(`[@mcpx/breaker] ${message}`)
    }
  })

  it('never changes the options it is given', () => {
    const options = Object.freeze({
      backoff: Object.freeze({ baseDelay: 1 }),
      budget: Object.freeze({ ratio: 0.5 }),
      idempotentTools: Object.freeze(['echo']),
    })
    expect(() => retry(options)).not.toThrow()
  })
})
