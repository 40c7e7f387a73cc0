import { describe, expect, it } from 'vitest'
import { abortSource } from './abort.js'
import { Context } from './context.js'
import { createKey, principalKey } from './key.js'

const make = () => new Context({ kind: 'request', id: 1, method: 'tools/list' })

describe('Context', () => {
  it('stores and reads a typed value by key', () => {
    const ctx = make()
    const key = createKey<{ hits: number }>('test.hits')
    ctx.set(key, { hits: 2 })
    expect(ctx.get(key)).toEqual({ hits: 2 })
  })

  it('keeps keys with the same name apart', () => {
    const ctx = make()
    const a = createKey<string>('same')
    const b = createKey<string>('same')
    ctx.set(a, 'a')
    expect(ctx.get(b)).toBeUndefined()
  })

  it('returns undefined for a key never set', () => {
    expect(make().get(principalKey)).toBeUndefined()
  })

  it('always has a signal, not aborted, when the transport gave none', () => {
    const ctx = make()
    expect(ctx.signal).toBeInstanceOf(AbortSignal)
    expect(ctx.signal.aborted).toBe(false)
    expect(ctx.signal).toBe(ctx.signal)
  })

  it('uses the signal the transport gave', () => {
    const controller = new AbortController()
    const ctx = new Context({ kind: 'request', id: 1, method: 'ping', signal: controller.signal })
    controller.abort()
    expect(ctx.signal.aborted).toBe(true)
  })

  it('gives each context its own state object', () => {
    const a = make()
    const b = make()
    a.state.x = 1
    expect(b.state.x).toBeUndefined()
  })

  it('defaults to direction toServer and an in-process session', () => {
    const ctx = make()
    expect(ctx.direction).toBe('toServer')
    expect(ctx.session).toEqual({ id: undefined, transport: 'in-process' })
  })
})

describe('Context.fork', () => {
  const parentOf = () => {
    const cancel = abortSource()
    const parent = new Context({
      kind: 'request',
      id: 7,
      method: 'tools/list',
      params: { cursor: 'c' },
      session: { id: 's1', transport: 'stdio' },
      signal: cancel,
    })
    return { parent, cancel }
  }

  it('keeps the id, session and direction and takes the new method and params', () => {
    const { parent } = parentOf()
    const child = parent.fork({ method: 'prompts/list', params: {} })
    expect([child.id, child.session, child.direction]).toEqual([7, parent.session, 'toServer'])
    expect([child.method, child.params]).toEqual(['prompts/list', {}])
  })

  it('copies the typed values, and a change in the child stays in the child', () => {
    const { parent } = parentOf()
    const key = createKey<string>('k')
    parent.set(key, 'parent')
    const child = parent.fork()
    child.set(key, 'child')
    expect([parent.get(key), child.get(key)]).toEqual(['parent', 'child'])
  })

  it('is cancelled when its parent is', async () => {
    const { parent, cancel } = parentOf()
    const child = parent.fork()
    const reason = new Error('gone')
    cancel.abort(reason)
    expect([child.aborted, child.reason, child.signal.aborted]).toEqual([true, reason, true])
  })

  it('is cancelled by its own signal instead of the parent’s when given one', () => {
    const { parent, cancel } = parentOf()
    const own = abortSource()
    const child = parent.fork({ signal: own })
    cancel.abort()
    expect(child.aborted).toBe(false)
    own.abort()
    expect(child.aborted).toBe(true)
  })

  it('starts without result, error or state', () => {
    const { parent } = parentOf()
    parent.result = { tools: [] }
    parent.state.x = 1
    const child = parent.fork()
    expect([child.result, child.error, child.state]).toEqual([undefined, undefined, {}])
  })
})

describe('createKey', () => {
  it('rejects an empty name', () => {
    expect(() => createKey('')).toThrow(TypeError)
  })
})

describe('Context cancellation', () => {
  it('aborts ctx.signal when its abort source aborts, made before or after', async () => {
    const { abortSource } = await import('./abort.js')
    const early = abortSource()
    const a = new Context({ kind: 'request', id: 1, method: 'ping', signal: early })
    const signal = a.signal
    early.abort('stop')
    expect(signal.aborted).toBe(true)
    expect(signal.reason).toBe('stop')

    const late = abortSource()
    const b = new Context({ kind: 'request', id: 2, method: 'ping', signal: late })
    late.abort('gone')
    expect(b.aborted).toBe(true)
    expect(b.signal.aborted).toBe(true)
    expect(b.signal.reason).toBe('gone')
  })

  it('calls onAbort listeners once, and not after they are removed', async () => {
    const { abortSource } = await import('./abort.js')
    const source = abortSource()
    const ctx = new Context({ kind: 'request', id: 1, method: 'ping', signal: source })
    const calls: unknown[] = []
    ctx.onAbort((reason) => calls.push(reason))
    const off = ctx.onAbort(() => calls.push('removed'))
    off()
    source.abort('x')
    source.abort('y')
    expect(calls).toEqual(['x'])
  })

  it('calls a listener added after the abort, in a microtask', async () => {
    const { abortSource } = await import('./abort.js')
    const source = abortSource()
    source.abort('late')
    const ctx = new Context({ kind: 'request', id: 1, method: 'ping', signal: source })
    const reason = await new Promise((resolve) => ctx.onAbort(resolve))
    expect(reason).toBe('late')
  })

  it('follows an AbortSignal given by the transport', () => {
    const controller = new AbortController()
    const ctx = new Context({ kind: 'request', id: 1, method: 'ping', signal: controller.signal })
    const calls: unknown[] = []
    ctx.onAbort((reason) => calls.push(reason))
    controller.abort('bye')
    expect(calls).toEqual(['bye'])
    expect(ctx.aborted).toBe(true)
  })
})
