import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compose, type Handler } from './compose.js'

type Log = { log: string[] }
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe.each([
  { strict: true, mode: 'strict' },
  { strict: false, mode: 'production' },
])('compose ($mode)', ({ strict }) => {
  it('runs middleware in onion order and unwinds in reverse', async () => {
    const ctx: Log = { log: [] }
    const mw =
      (name: string): Handler<Log> =>
      async (c, next) => {
        c.log.push(`${name}>`)
        await tick()
        await next()
        c.log.push(`<${name}`)
      }
    await compose([mw('a'), mw('b'), mw('c')], { strict })(ctx)
    expect(ctx.log).toEqual(['a>', 'b>', 'c>', '<c', '<b', '<a'])
  })

  it('calls the terminal after the last middleware', async () => {
    const ctx: Log = { log: [] }
    await compose<Log>(
      [
        async (c, next) => {
          c.log.push('mw')
          await next()
        },
      ],
      { strict },
    )(ctx, async (c) => {
      c.log.push('terminal')
    })
    expect(ctx.log).toEqual(['mw', 'terminal'])
  })

  it('stops when a middleware does not call next (short-circuit)', async () => {
    const ctx: Log = { log: [] }
    const run = compose<Log>(
      [
        async (c, next) => {
          c.log.push('a')
          await next()
        },
        async (c) => {
          c.log.push('b')
        },
        async (c) => {
          c.log.push('never')
        },
      ],
      { strict },
    )
    await run(ctx, async (c) => {
      c.log.push('terminal')
    })
    expect(ctx.log).toEqual(['a', 'b'])
  })

  it('rejects with a synchronous throw', async () => {
    const boom = new Error('sync')
    const run = compose<Log>(
      [
        () => {
          throw boom
        },
      ],
      { strict },
    )
    await expect(run({ log: [] })).rejects.toBe(boom)
  })

  it('rejects with an asynchronous throw and lets outer middleware catch it', async () => {
    const boom = new Error('async')
    let caught: unknown
    const run = compose<Log>(
      [
        async (_c, next) => {
          try {
            await next()
          } catch (e) {
            caught = e
          }
        },
        async () => {
          await tick()
          throw boom
        },
      ],
      { strict },
    )
    await run({ log: [] })
    expect(caught).toBe(boom)
  })

  it('rejects a second next() from the same middleware', async () => {
    const run = compose<Log>(
      [
        async (_c, next) => {
          await next()
          await next()
        },
        async () => {},
      ],
      { strict },
    )
    await expect(run({ log: [] })).rejects.toThrow('next() called multiple times')
  })

  it('rejects a second next() after a short-circuit below it', async () => {
    const run = compose<Log>(
      [
        async (_c, next) => {
          await next()
          await next()
        },
        async () => {},
        async () => {},
      ],
      { strict },
    )
    await expect(run({ log: [] })).rejects.toThrow('next() called multiple times')
  })

  it('passes the same context object to every middleware', async () => {
    const ctx: Log = { log: [] }
    const seen: unknown[] = []
    await compose<Log>(
      [
        async (c, n) => {
          seen.push(c)
          await n()
        },
        async (c, n) => {
          seen.push(c)
          await n()
        },
      ],
      { strict },
    )(ctx, async (c) => {
      seen.push(c)
    })
    // Identity, not deep equality: a compose that copied the context would pass toEqual.
    expect(seen).toHaveLength(3)
    for (const c of seen) expect(c).toBe(ctx)
  })

  it('resolves for an empty stack and still calls the terminal', async () => {
    const ctx: Log = { log: [] }
    await compose<Log>([], { strict })(ctx, async (c) => {
      c.log.push('t')
    })
    await compose<Log>([], { strict })(ctx)
    expect(ctx.log).toEqual(['t'])
  })

  it('accepts synchronous middleware that returns next()', async () => {
    const ctx: Log = { log: [] }
    await compose<Log>(
      [
        (c, next) => {
          c.log.push('sync')
          return next()
        },
      ],
      { strict },
    )(ctx, async (c) => {
      c.log.push('t')
    })
    expect(ctx.log).toEqual(['sync', 't'])
  })

  it('does not see middleware added to the input array afterwards', async () => {
    const ctx: Log = { log: [] }
    const stack: Handler<Log>[] = [
      async (c, n) => {
        c.log.push('a')
        await n()
      },
    ]
    const run = compose(stack, { strict })
    stack.push(async (c) => {
      c.log.push('late')
    })
    await run(ctx)
    expect(ctx.log).toEqual(['a'])
  })

  it('runs concurrent messages through one composed stack independently', async () => {
    const run = compose<Log>(
      [
        async (c, n) => {
          await tick()
          c.log.push('a')
          await n()
        },
        async (c, n) => {
          c.log.push('b')
          await tick()
          await n()
        },
      ],
      { strict },
    )
    const ctxs = Array.from({ length: 20 }, () => ({ log: [] as string[] }))
    await Promise.all(
      ctxs.map((c) =>
        run(c, async (x) => {
          x.log.push('t')
        }),
      ),
    )
    for (const c of ctxs) expect(c.log).toEqual(['a', 'b', 't'])
  })

  it('runs the rest of the stack once per fork, for the forked context, then the original', async () => {
    const seen: string[] = []
    const fan: Handler<Log & { name: string }> = async (c, next) => {
      await Promise.all(['x', 'y'].map((name) => next({ log: c.log, name })))
      await next()
    }
    const after: Handler<Log & { name: string }> = async (c, next) => {
      seen.push(`after:${c.name}`)
      await next()
    }
    await compose([fan, after], { strict })({ log: [], name: 'parent' }, async (c) => {
      seen.push(`terminal:${c.name}`)
    })
    expect(seen).toEqual([
      'after:x',
      'terminal:x',
      'after:y',
      'terminal:y',
      'after:parent',
      'terminal:parent',
    ])
  })

  it('lets a fork call its own next() once, and rejects its second', async () => {
    const twice: Handler<Log> = async (_c, next) => {
      await next()
      await next()
    }
    const fan: Handler<Log> = (c, next) => next({ log: c.log })
    await expect(compose([fan, twice], { strict })({ log: [] })).rejects.toThrow(
      /next\(\) called multiple times/,
    )
  })

  it('treats next(ctx) with its own context as next(): a second one rejects', async () => {
    const twice: Handler<Log> = async (c, next) => {
      await next(c)
      await next(c)
    }
    await expect(compose([twice], { strict })({ log: [] })).rejects.toThrow(/multiple times/)
  })

  it('rejects next(value) with a value that is not a context', async () => {
    const then: Handler<Log> = (_c, next) => Promise.resolve(42 as unknown as Log).then(next)
    await expect(compose([then], { strict })({ log: [] })).rejects.toThrow(/forked context/)
  })

  it('does not skip the middleware after the forking one', async () => {
    const ctx: Log = { log: [] }
    const fan: Handler<Log> = async (c, next) => {
      await next({ log: c.log })
      await next({ log: c.log })
    }
    const count: Handler<Log> = async (c, next) => {
      c.log.push('count')
      await next()
    }
    await compose([fan, count], { strict })(ctx)
    expect(ctx.log).toEqual(['count', 'count'])
  })
})

describe('compose input checks', () => {
  it('throws a TypeError for a non-function in the stack', () => {
    expect(() => compose([async () => {}, 'nope' as unknown as Handler<unknown>])).toThrow(
      TypeError,
    )
    expect(() => compose([async () => {}, 'nope' as unknown as Handler<unknown>])).toThrow(
      'middleware #1 must be a function',
    )
  })

  it('throws a TypeError when the stack is not an array', () => {
    expect(() => compose({} as unknown as Handler<unknown>[])).toThrow(TypeError)
  })
})

describe('compose production mode', () => {
  it('lets a middleware finish before the next() it called (no tracking cost)', async () => {
    const ctx: Log = { log: [] }
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    await compose<Log>(
      [
        async function leaky(_c, next) {
          next()
        },
        async (c) => {
          await gate
          c.log.push('b')
        },
      ],
      { strict: false },
    )(ctx)
    // The stack settled while the inner middleware still waits: nothing noticed the leak.
    expect(ctx.log).toEqual([])
    release()
    await tick()
    expect(ctx.log).toEqual(['b'])
  })
})

describe('compose strict mode', () => {
  it('rejects a middleware that does not await a fork it started', async () => {
    const run = compose<Log>(
      [
        async (c, next) => {
          void next({ log: c.log })
        },
      ],
      { strict: true },
    )
    await expect(run({ log: [] }, () => tick())).rejects.toThrow(/finished before the next\(\)/)
  })

  it('rejects a middleware that does not await its next()', async () => {
    const run = compose<Log>(
      [
        async function leaky(_c, next) {
          next()
        },
        async () => {
          await tick()
        },
      ],
      { strict: true },
    )
    await expect(run({ log: [] })).rejects.toThrow(
      'middleware #0 (leaky) finished before the next() it called',
    )
  })

  it('rejects a second next() even when the first was not awaited', async () => {
    const run = compose<Log>(
      [
        async (_c, next) => {
          void next()
          await next()
        },
        async () => {
          await tick()
        },
      ],
      { strict: true },
    )
    await expect(run({ log: [] })).rejects.toThrow('next() called multiple times')
  })

  it('accepts a middleware that returns its next() promise', async () => {
    const ctx: Log = { log: [] }
    await compose<Log>(
      [
        (_c, next) => next(),
        async (c) => {
          await tick()
          c.log.push('b')
        },
      ],
      { strict: true },
    )(ctx)
    expect(ctx.log).toEqual(['b'])
  })
})

/**
 * Property: for random stacks of pass-through, short-circuit and throwing
 * middleware (each optionally async), compose produces the same trace and
 * the same outcome as a tiny synchronous reference interpreter.
 */
type Kind = 'pass' | 'stop' | 'throwBefore' | 'throwAfter' | 'catch'
type Spec = { kind: Kind; async: boolean }

function reference(
  specs: Spec[],
  withTerminal: boolean,
): { trace: string[]; error: string | undefined } {
  const trace: string[] = []
  const run = (i: number): void => {
    if (i === specs.length) {
      if (withTerminal) trace.push('T')
      return
    }
    const { kind } = specs[i]!
    trace.push(`${i}>`)
    if (kind === 'throwBefore') throw new Error(`e${i}`)
    if (kind === 'stop') return
    if (kind === 'catch') {
      try {
        run(i + 1)
      } catch {
        trace.push(`${i}!`)
      }
    } else run(i + 1)
    if (kind === 'throwAfter') throw new Error(`e${i}`)
    trace.push(`<${i}`)
  }
  try {
    run(0)
    return { trace, error: undefined }
  } catch (e) {
    return { trace, error: (e as Error).message }
  }
}

function build(specs: Spec[]): Handler<Log>[] {
  return specs.map(({ kind, async: isAsync }, i) => async (c, next) => {
    if (isAsync) await Promise.resolve()
    c.log.push(`${i}>`)
    if (kind === 'throwBefore') throw new Error(`e${i}`)
    if (kind === 'stop') return
    if (kind === 'catch') {
      try {
        await next()
      } catch {
        c.log.push(`${i}!`)
      }
    } else await next()
    if (kind === 'throwAfter') throw new Error(`e${i}`)
    c.log.push(`<${i}`)
  })
}

describe('compose against a reference interpreter', () => {
  const spec = fc.record({
    kind: fc.constantFrom<Kind>('pass', 'stop', 'throwBefore', 'throwAfter', 'catch'),
    async: fc.boolean(),
  })
  it.each([true, false])('matches for random stacks (strict: %s)', async (strict) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(spec, { maxLength: 12 }),
        fc.boolean(),
        async (specs, withTerminal) => {
          const ctx: Log = { log: [] }
          let error: string | undefined
          try {
            await compose(build(specs), { strict })(
              ctx,
              withTerminal
                ? async (c) => {
                    c.log.push('T')
                  }
                : undefined,
            )
          } catch (e) {
            error = (e as Error).message
          }
          expect({ trace: ctx.log, error }).toEqual(reference(specs, withTerminal))
        },
      ),
      { numRuns: 300 },
    )
  })
})
