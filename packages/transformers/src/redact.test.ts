import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Context, ErrorCode, McpxError, type Target, targetKey } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { redact } from './redact.js'

const aws = ['AKIA', 'IOSFODNN7EXAMPLE'].join('')

function request(method: string, params: unknown, direction: 'toServer' | 'toClient' = 'toServer') {
  return new Context<string>({ kind: 'request', id: 1, method, params: params as never, direction })
}

function notification(method: string, params: unknown): Context {
  return new Context<string>({
    kind: 'notification',
    method,
    params: params as never,
    direction: 'toClient',
  })
}

describe('redact()', () => {
  it('redacts the params going up and leaves the objects it was given intact', async () => {
    const params = { name: 'login', arguments: { user: 'ada', password: 'hunter2' } }
    const ctx = request('tools/call', params)
    let sent: unknown
    await redact()(ctx, async () => {
      sent = ctx.params
      ctx.result = { content: [] }
    })
    expect(sent).toEqual({ name: 'login', arguments: { user: 'ada', password: '[REDACTED]' } })
    expect(params.arguments.password).toBe('hunter2')
  })

  it("rewrites the router's target (the upstream's own params), with a new Target", async () => {
    const ctx = request('tools/call', { name: 'math_login', arguments: { api_key: 'k' } })
    const target: Target = {
      upstream: 'math',
      method: 'tools/call',
      params: { name: 'login', arguments: { api_key: 'k' } },
    }
    ctx.set(targetKey, target)
    await redact()(ctx, async () => {
      ctx.result = { content: [] }
    })
    const now = ctx.get(targetKey)!
    expect(now).not.toBe(target)
    expect(now).toEqual({
      upstream: 'math',
      method: 'tools/call',
      params: { name: 'login', arguments: { api_key: '[REDACTED]' } },
    })
    expect(target.params).toEqual({ name: 'login', arguments: { api_key: 'k' } })
  })

  it('replaces the result coming back, never mutating it (a cached result stays intact)', async () => {
    const cached = Object.freeze({
      content: Object.freeze([Object.freeze({ type: 'text', text: `key ${aws}` })]),
      structuredContent: Object.freeze({ token: 't', ok: true }),
    })
    const ctx = request('tools/call', { name: 'x' })
    await redact()(ctx, async () => {
      ctx.result = cached as never
    })
    expect(ctx.result).toEqual({
      content: [{ type: 'text', text: 'key [REDACTED]' }],
      structuredContent: { token: '[REDACTED]', ok: true },
    })
    expect(cached.content[0]!.text).toBe(`key ${aws}`)
  })

  it('passes a clean message through as the same objects', async () => {
    const params = { name: 'x', arguments: { n: 1 } }
    const result = { content: [{ type: 'text', text: 'ok' }] }
    const ctx = request('tools/call', params)
    await redact()(ctx, async () => {
      ctx.result = result as never
    })
    expect(ctx.params).toBe(params)
    expect(ctx.result).toBe(result)
  })

  it("redacts a thrown error's message and data, keeping its code, and the original as cause", async () => {
    const original = new McpxError(ErrorCode.InvalidParams, `bad key ${aws}`, {
      data: { password: 'p', field: 'x' },
    })
    const ctx = request('tools/call', { name: 'x' })
    const thrown = await redact()(ctx, async () => {
      throw original
    }).catch((e: unknown) => e)
    expect(McpxError.is(thrown)).toBe(true)
    const error = thrown as McpxError
    expect(error.code).toBe(ErrorCode.InvalidParams)
    expect(error.message).toBe('bad key [REDACTED]')
    expect(error.data).toEqual({ password: '[REDACTED]', field: 'x' })
    expect(error.cause).toBe(original)
  })

  it('redacts an error set below it, and lets other throws through untouched', async () => {
    const ctx = request('tools/call', { name: 'x' })
    await redact()(ctx, async () => {
      ctx.error = new McpxError(ErrorCode.InvalidParams, `Bearer abcdefgh12345678 refused`)
    })
    expect(ctx.error!.message).toBe('Bearer [REDACTED] refused')
    const boom = new Error(`internal ${aws}`)
    await expect(
      redact()(request('tools/call', {}), async () => {
        throw boom
      }),
    ).rejects.toBe(boom) // the error boundary never shows it to a client
  })

  it('redacts server notifications coming down: a log message, resources/updated', async () => {
    const log = notification('notifications/message', {
      level: 'info',
      data: { msg: 'connected', password: 'p', dsn: `u ${aws}` },
    })
    await redact()(log, async () => {})
    expect(log.params).toEqual({
      level: 'info',
      data: { msg: 'connected', password: '[REDACTED]', dsn: 'u [REDACTED]' },
    })
    const updated = notification('notifications/resources/updated', {
      uri: 'https://x.test/r?token=abc',
    })
    await redact()(updated, async () => {})
    expect(updated.params).toEqual({ uri: 'https://x.test/r?token=[REDACTED]' })
  })

  it("redacts a server request going down and the client's answer going up", async () => {
    const ctx = request(
      'sampling/createMessage',
      {
        messages: [{ role: 'user', content: { type: 'text', text: `use ${aws}` } }],
        maxTokens: 10,
      },
      'toClient',
    )
    let delivered: unknown
    await redact()(ctx, async () => {
      delivered = ctx.params
      ctx.result = {
        role: 'assistant',
        model: 'm',
        content: { type: 'text', text: 'api_key: k' },
      } as never
    })
    expect(delivered).toMatchObject({
      messages: [{ content: { text: 'use [REDACTED]' } }],
      maxTokens: 10,
    })
    expect(ctx.result).toMatchObject({ content: { text: 'api_key: [REDACTED]' } })
  })

  it('redacts one direction only when asked', async () => {
    const up = request('tools/call', { arguments: { password: 'p' } })
    await redact({ toServer: false })(up, async () => {
      up.result = { structuredContent: { password: 'p' } } as never
    })
    expect(up.params).toEqual({ arguments: { password: 'p' } })
    expect(up.result).toEqual({ structuredContent: { password: '[REDACTED]' } })

    const down = request('tools/call', { arguments: { password: 'p' } })
    await redact({ toClient: false })(down, async () => {
      down.result = { structuredContent: { password: 'p' } } as never
    })
    expect(down.params).toEqual({ arguments: { password: '[REDACTED]' } })
    expect(down.result).toEqual({ structuredContent: { password: 'p' } })
  })

  it('leaves tools/list alone by default (its schemas name arguments as keys), and skips what it is told', async () => {
    const tools = {
      tools: [
        {
          name: 'login',
          inputSchema: { type: 'object', properties: { password: { type: 'string' } } },
        },
      ],
    }
    const ctx = request('tools/list', {})
    await redact()(ctx, async () => {
      ctx.result = tools as never
    })
    expect(ctx.result).toBe(tools)

    const read = request('resources/read', { uri: 'file:///x' })
    const contents = { contents: [{ uri: 'file:///x', text: 'password=p' }] }
    await redact({ skip: ['resources/*'] })(read, async () => {
      read.result = contents as never
    })
    expect(read.result).toBe(contents)
  })

  it('redacts resource contents', async () => {
    const ctx = request('resources/read', { uri: 'config://app' })
    await redact()(ctx, async () => {
      ctx.result = {
        contents: [
          { uri: 'config://app', mimeType: 'text/plain', text: 'DB_PASSWORD=hunter2\nPORT=1' },
        ],
      } as never
    })
    expect(ctx.result).toEqual({
      contents: [
        { uri: 'config://app', mimeType: 'text/plain', text: 'DB_PASSWORD=[REDACTED]\nPORT=1' },
      ],
    })
  })

  it('remembers which methods it skips within a bound in characters, not only in names', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const mw = redact({ skip: ['initialize', 'notifications/*'] })
    const long = (i: number) => `notifications/${i}${'x'.repeat(1 << 20)}`
    let passed = 0
    gc()
    const before = process.memoryUsage().heapUsed
    // Method names are the client's: 64 of 1 MiB each, every one skipped by the glob.
    for (let i = 0; i < 64; i++) {
      const ctx = notification(long(i), { password: 'p' })
      await mw(ctx, async () => {
        passed += (ctx.params as { password: string }).password === 'p' ? 1 : 0
      })
    }
    gc()
    expect(passed).toBe(64)
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 << 20)
  })

  it('refuses bad options when it is created', () => {
    expect(() => redact({ toServer: 'yes' as never })).toThrow(
      '[@mcpx/transformers] toServer must be a boolean',
    )
    expect(() => redact({ skip: 'tools/list' as never })).toThrow('skip must be an array')
    expect(() => redact({ skip: ['bad\\'] })).toThrow('skip[0] must be a valid glob')
    expect(() => redact({ directions: [] } as never)).toThrow(
      'redact() options key "directions" must be one of',
    )
    expect(() => redact({ maxDepth: 5_000 })).toThrow('maxDepth must be an integer from 1 to 1000')
  })

  it('returns a named middleware', () => {
    expect(redact().name).toBe('redact')
  })
})
