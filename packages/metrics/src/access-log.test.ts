import {
  Context,
  cacheStatusKey,
  createProxy,
  ErrorCode,
  McpxError,
  type Middleware,
  principalKey,
  targetKey,
} from '@mcpx/core'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AccessLogEntry } from './access-entry.js'
import { type AccessLogOptions, accessLog } from './access-log.js'

/** What the fake stack below does with a message: its `_test` param. */
interface Script {
  ms?: number
  code?: number
  throws?: 'mcpx' | 'other'
  toolError?: boolean
  cache?: 'hit' | 'miss'
}

/** Plays auth (principal), router (target), a cache and the upstream below the access log. */
const below: Middleware = async (ctx) => {
  const script = ((ctx.params as { _test?: Script } | undefined)?._test ?? {}) as Script
  ctx.set(principalKey, { subject: 'alice', clientId: 'app-1', scopes: [] })
  ctx.set(targetKey, { upstream: 'math', method: ctx.method, params: ctx.params })
  if (script.ms !== undefined) await new Promise((resolve) => setTimeout(resolve, script.ms))
  if (script.throws === 'mcpx') throw new McpxError(ErrorCode.RequestTimeout, 'timed out')
  if (script.throws === 'other') throw new Error('db password is hunter2')
  if (script.code !== undefined) {
    ctx.error = new McpxError(script.code, 'refused')
    return
  }
  if (script.cache !== undefined) ctx.set(cacheStatusKey, script.cache)
  ctx.result = { content: [], ...(script.toolError ? { isError: true } : {}) }
}

function gateway(options: AccessLogOptions = {}) {
  const lines: AccessLogEntry[] = []
  const log = accessLog({ log: (entry) => lines.push(entry), ...options })
  const proxy = createProxy({ strict: false, onError: () => {} }).use(log, below)
  const send = async (
    method: string,
    params: Record<string, unknown> = {},
    kind: 'request' | 'notification' = 'request',
  ) => {
    const ctx = new Context({ kind, id: kind === 'request' ? 7 : undefined, method, params })
    const done = proxy.dispatch(ctx)
    await vi.advanceTimersByTimeAsync((params._test as Script | undefined)?.ms ?? 0)
    await done
    return ctx
  }
  return { lines, send }
}

const call = (script: Script = {}, args: unknown = { a: 1 }) => ({
  name: 'add',
  arguments: args,
  _test: script,
})

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2025-06-01T12:00:00Z') })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('accessLog(): the entry', () => {
  it('gives a success its method, id, tool, upstream, client, transport, outcome and duration', async () => {
    const { lines, send } = gateway()
    await send('tools/call', call({ ms: 12 }))
    expect(lines).toEqual([
      {
        time: '2025-06-01T12:00:00.000Z',
        method: 'tools/call',
        id: 7,
        direction: 'toServer',
        transport: 'in-process',
        client: 'app-1',
        upstream: 'math',
        tool: 'add',
        outcome: 'ok',
        durationMs: 12,
      },
    ])
  })

  it('gives an error answer the code and message the client got (-32602)', async () => {
    const { lines, send } = gateway()
    await send('tools/call', call({ code: ErrorCode.InvalidParams }))
    expect(lines[0]).toMatchObject({
      outcome: 'invalid_params',
      errorCode: -32602,
      errorMessage: 'refused',
    })
  })

  it("marks a tool's own error as tool_error, without an error code", async () => {
    const { lines, send } = gateway()
    await send('tools/call', call({ toolError: true }))
    expect(lines[0]?.outcome).toBe('tool_error')
    expect(lines[0]).not.toHaveProperty('errorCode')
  })

  it('marks a rate-limited answer (-32029) as rate_limited', async () => {
    const { lines, send } = gateway()
    await send('tools/call', call({ code: ErrorCode.RateLimited }))
    expect(lines[0]).toMatchObject({ outcome: 'rate_limited', errorCode: -32029 })
  })

  it("gives a cache hit the outcome cache_hit and core's cacheStatusKey as cache", async () => {
    const { lines, send } = gateway()
    await send('tools/call', call({ cache: 'hit' }))
    await send('tools/call', call({ cache: 'miss' }))
    expect(lines.map((l) => [l.outcome, l.cache])).toEqual([
      ['cache_hit', 'hit'],
      ['ok', 'miss'],
    ])
  })

  it('logs a thrown error as the generic -32603 the client got, never its message or stack', async () => {
    const { lines, send } = gateway()
    await send('tools/call', call({ throws: 'other' }))
    expect(lines[0]).toMatchObject({
      outcome: 'internal',
      errorCode: -32603,
      errorMessage: 'Internal error',
    })
    expect(JSON.stringify(lines)).not.toContain('hunter2')
    expect(JSON.stringify(lines)).not.toContain('at ')
  })

  it('logs a thrown McpxError with its own code and message', async () => {
    const { lines, send } = gateway()
    await send('tools/call', call({ throws: 'mcpx' }))
    expect(lines[0]).toMatchObject({
      outcome: 'timeout',
      errorCode: -32001,
      errorMessage: 'timed out',
    })
  })

  it('names the prompt of prompts/get and the uri of resources/read', async () => {
    const { lines, send } = gateway()
    await send('prompts/get', { name: 'greet' })
    await send('resources/read', { uri: 'docs://readme' })
    expect(lines.map((l) => [l.prompt, l.uri])).toEqual([
      ['greet', undefined],
      [undefined, 'docs://readme'],
    ])
  })
})

describe('accessLog(): what is logged', () => {
  it('logs requests and errors, not notifications nor pings, by default', async () => {
    const { lines, send } = gateway()
    await send('tools/call', call())
    await send('tools/call', call({ code: ErrorCode.InvalidParams }))
    await send('notifications/initialized', {}, 'notification')
    await send('ping')
    expect(lines.map((l) => l.outcome)).toEqual(['ok', 'invalid_params'])
  })

  it('logs only errors with requests: false', async () => {
    const { lines, send } = gateway({ requests: false })
    await send('tools/call', call())
    await send('tools/call', call({ toolError: true }))
    await send('tools/call', call({ code: ErrorCode.RateLimited }))
    expect(lines.map((l) => l.outcome)).toEqual(['tool_error', 'rate_limited'])
  })

  it('logs only successes with errors: false', async () => {
    const { lines, send } = gateway({ errors: false })
    await send('tools/call', call())
    await send('tools/call', call({ code: ErrorCode.RateLimited }))
    expect(lines.map((l) => l.outcome)).toEqual(['ok'])
  })

  it('logs notifications with notifications: true, and pings with health: true', async () => {
    const { lines, send } = gateway({ notifications: true, health: true })
    await send('notifications/initialized', {}, 'notification')
    await send('ping')
    expect(lines.map((l) => [l.method, l.id])).toEqual([
      ['notifications/initialized', undefined],
      ['ping', 7],
    ])
  })

  it('logs only the entries filter returns true for', async () => {
    const { lines, send } = gateway({ filter: (entry) => entry.tool !== 'add' })
    await send('tools/call', call())
    await send('tools/call', { name: 'search', _test: {} })
    expect(lines.map((l) => l.tool)).toEqual(['search'])
  })
})

describe('accessLog(): arguments', () => {
  const secret = { query: 'x', apiKey: 'sk-live-SECRET' }

  it('never logs arguments by default', async () => {
    const { lines, send } = gateway()
    await send('tools/call', call({}, secret))
    expect(lines).toHaveLength(1)
    expect(JSON.stringify(lines)).not.toContain('SECRET')
  })

  it('logs the arguments the client sent with arguments: true', async () => {
    const { lines, send } = gateway({ arguments: true })
    await send('tools/call', call({}, secret))
    expect(lines[0]?.arguments).toEqual(secret)
  })

  it('logs what the arguments function returns', async () => {
    const redact = (args: unknown) => ({ ...(args as object), apiKey: '[redacted]' })
    const { lines, send } = gateway({ arguments: redact })
    await send('tools/call', call({}, secret))
    expect(lines[0]?.arguments).toEqual({ query: 'x', apiKey: '[redacted]' })
    expect(JSON.stringify(lines)).not.toContain('SECRET')
  })

  it('logs no arguments when the arguments function throws, and reports it', async () => {
    const onLoggerError = vi.fn()
    const { lines, send } = gateway({
      arguments: () => {
        throw new Error('bad redactor')
      },
      onLoggerError,
    })
    await send('tools/call', call({}, secret))
    expect(lines[0]?.arguments).toBe('[arguments omitted: the arguments option threw]')
    expect(onLoggerError).toHaveBeenCalledTimes(1)
  })
})

describe('accessLog(): caps', () => {
  it('cuts a string field over maxFieldLength with a marker', async () => {
    const { lines, send } = gateway({ maxFieldLength: 32 })
    await send('tools/call', { name: 'x'.repeat(10_000), _test: {} })
    expect(lines[0]?.tool).toBe(`${'x'.repeat(32)}…[9968 more chars]`)
  })

  it('replaces arguments over maxArgumentsBytes with a note of their size', async () => {
    const { lines, send } = gateway({ arguments: true, maxArgumentsBytes: 1024 })
    await send('tools/call', call({}, { blob: 'é'.repeat(1000) }))
    expect(lines[0]?.arguments).toBe('[arguments omitted: 2011 bytes, over 1024]')
  })
})

describe('accessLog(): loggers', () => {
  it('sends successes to info, client faults to warn and server faults to error of a pino-like logger', async () => {
    const seen: string[] = []
    const logger = {
      info: (e: AccessLogEntry) => seen.push(`info ${e.outcome}`),
      warn: (e: AccessLogEntry) => seen.push(`warn ${e.outcome}`),
      error: (e: AccessLogEntry) => seen.push(`error ${e.outcome}`),
    }
    const { send } = gateway({ log: logger })
    await send('tools/call', call())
    await send('tools/call', call({ toolError: true }))
    await send('tools/call', call({ code: ErrorCode.RateLimited }))
    await send('tools/call', call({ throws: 'other' }))
    expect(seen).toEqual(['info ok', 'warn tool_error', 'warn rate_limited', 'error internal'])
  })

  it('answers the message when the logger throws, and reports it at most once per 10 s', async () => {
    const onLoggerError = vi.fn()
    const { send } = gateway({
      log: () => {
        throw new Error('disk full')
      },
      onLoggerError,
    })
    for (let i = 0; i < 3; i++) {
      const ctx = await send('tools/call', call())
      expect(ctx.result).toEqual({ content: [] })
      expect(ctx.error).toBeUndefined()
    }
    expect(onLoggerError).toHaveBeenCalledTimes(1)
    expect(onLoggerError).toHaveBeenLastCalledWith(
      expect.objectContaining({ message: 'disk full' }),
      0,
    )
    await vi.advanceTimersByTimeAsync(9_999)
    await send('tools/call', call())
    expect(onLoggerError).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    await send('tools/call', call())
    expect(onLoggerError).toHaveBeenCalledTimes(2)
    // The 3 failures in between were counted, not kept.
    expect(onLoggerError).toHaveBeenLastCalledWith(expect.any(Error), 3)
  })

  it('counts an async logger that rejects as a failure, never an unhandled rejection', async () => {
    const onLoggerError = vi.fn()
    const proxy = createProxy({ strict: false, onError: () => {} }).use(
      accessLog({
        log: async () => {
          throw new Error('db down')
        },
        onLoggerError,
      }),
      below,
    )
    await proxy.handle({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
    // The rejection settles a few microtasks later (this block's timers are fake).
    for (let i = 0; i < 10; i++) await Promise.resolve()
    expect(onLoggerError).toHaveBeenCalledWith(expect.objectContaining({ message: 'db down' }), 0)
  })

  it('writes to stderr by default, never stdout (a stdio front end carries JSON-RPC there)', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {})
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    const proxy = createProxy({ strict: false, onError: () => {} }).use(accessLog(), below)
    await proxy.handle({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
    expect(out).not.toHaveBeenCalled()
    expect(err).toHaveBeenCalledTimes(1)
    out.mockRestore()
    err.mockRestore()
  })

  it('falls back to one console.warn line when no onLoggerError is given', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { send } = gateway({
      log: () => {
        throw new Error('disk full')
      },
    })
    await send('tools/call', call())
    await send('tools/call', call())
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toMatch(
      /^\[@mcpx\/metrics\] the access logger threw \(disk full\)/,
    )
    warn.mockRestore()
  })
})

describe('accessLog(): the default writer', () => {
  /** Strings of code points, with the ones that break line-based logs often. */
  const hostile = fc.string({
    unit: fc.oneof(
      fc.constantFrom('\n', '\r', '\u2028', '\u2029', '\u0000', '\u001b', '"', '\\', '\ud800', '}'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    maxLength: 200,
  })

  it('writes exactly one JSON line per entry, whatever the client named its method and tool', async () => {
    const out = vi.spyOn(console, 'error').mockImplementation(() => {})
    const proxy = createProxy({ strict: false, onError: () => {} }).use(accessLog(), below)
    await fc.assert(
      fc.asyncProperty(hostile, hostile, async (method, name) => {
        out.mockClear()
        const ctx = new Context({ kind: 'request', id: name, method, params: { name } })
        await proxy.dispatch(ctx)
        expect(out).toHaveBeenCalledTimes(1)
        const text = out.mock.calls[0]?.[0] as string
        expect(text).not.toMatch(/[\n\r\u2028\u2029]/)
        expect(JSON.parse(text)).toMatchObject({ method, id: name })
      }),
    )
    out.mockRestore()
  })
})

describe('accessLog(): options', () => {
  it.each([
    [{ requests: 'yes' }, /requests must be a boolean/],
    [{ log: {} }, /log must be a function or a logger/],
    [{ arguments: 'all' }, /arguments must be a boolean or a function/],
    [{ maxFieldLength: 0 }, /maxFieldLength/],
    [{ argumnts: true }, /argumnts/],
  ])('rejects %o when the factory runs', (options, message) => {
    expect(() => accessLog(options as AccessLogOptions)).toThrow(message)
  })
})
