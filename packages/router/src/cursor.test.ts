import { ErrorCode, McpxError } from '@mcpx/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type CursorState, createCursorCodec } from './cursor.js'

const KEY = 'a shared secret of some length'
const STATE: CursorState = { list: 'tools/list', offset: 50, generation: 'g1' }

/** Resolves to the rejection of `promise`, failing the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<McpxError> {
  const error = await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  )
  if (!McpxError.is(error)) throw error
  return error
}

async function expectInvalid(promise: Promise<unknown>, message = 'Invalid cursor') {
  const error = await rejection(promise)
  expect(error.code).toBe(ErrorCode.InvalidParams)
  expect(error.message).toBe(message)
}

/** `text` with bit `bit` of character `index` flipped. */
function flip(text: string, index: number, bit: number): string {
  const code = text.charCodeAt(index) ^ (1 << bit)
  return text.slice(0, index) + String.fromCharCode(code) + text.slice(index + 1)
}

describe('createCursorCodec', () => {
  it('decodes what it encoded', async () => {
    const codec = createCursorCodec()
    const cursor = await codec.encode(STATE)
    expect(await codec.decode(cursor, 'tools/list', 'g1')).toEqual(STATE)
  })

  it('keeps unicode lists and generations and large offsets', async () => {
    const codec = createCursorCodec()
    const state = { list: 'prompts/list', offset: Number.MAX_SAFE_INTEGER, generation: 'ü 🌍' }
    expect(await codec.decode(await codec.encode(state), 'prompts/list', 'ü 🌍')).toEqual(state)
  })

  it('hands out an opaque base64url cursor', async () => {
    const cursor = await createCursorCodec().encode(STATE)
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
    expect(cursor).not.toContain('tools/list')
  })

  it('refuses a cursor with any single bit flipped, in the payload or the MAC', async () => {
    const codec = createCursorCodec({ key: KEY })
    const cursor = await codec.encode(STATE)
    for (let i = 0; i < cursor.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        await expectInvalid(codec.decode(flip(cursor, i, bit), 'tools/list', 'g1'))
      }
    }
  })

  it('refuses a truncated or extended cursor', async () => {
    const codec = createCursorCodec()
    const cursor = await codec.encode(STATE)
    for (let n = 0; n < cursor.length; n++) {
      await expectInvalid(codec.decode(cursor.slice(0, n), 'tools/list', 'g1'))
    }
    await expectInvalid(codec.decode(`${cursor}A`, 'tools/list', 'g1'))
    await expectInvalid(codec.decode(`${cursor}.`, 'tools/list', 'g1'))
  })

  it('refuses a cursor from a codec with another key', async () => {
    const cursor = await createCursorCodec().encode(STATE)
    await expectInvalid(createCursorCodec().decode(cursor, 'tools/list', 'g1'))
    const configured = await createCursorCodec({ key: KEY }).encode(STATE)
    const other = createCursorCodec({ key: `${KEY}!` })
    await expectInvalid(other.decode(configured, 'tools/list', 'g1'))
  })

  it('accepts a cursor from another codec with the same configured key (another replica)', async () => {
    const cursor = await createCursorCodec({ key: KEY }).encode(STATE)
    expect(await createCursorCodec({ key: KEY }).decode(cursor, 'tools/list', 'g1')).toEqual(STATE)
    const bytes = new TextEncoder().encode(KEY)
    const fromBytes = await createCursorCodec({ key: bytes }).encode(STATE)
    expect(await createCursorCodec({ key: KEY }).decode(fromBytes, 'tools/list', 'g1')).toEqual(
      STATE,
    )
  })

  it('keeps its own copy of a byte key', async () => {
    const bytes = new Uint8Array(16).fill(7)
    const codec = createCursorCodec({ key: bytes })
    const cursor = await codec.encode(STATE)
    bytes.fill(8)
    expect(await codec.decode(cursor, 'tools/list', 'g1')).toEqual(STATE)
  })

  it('refuses a cursor for another list', async () => {
    const codec = createCursorCodec()
    const cursor = await codec.encode(STATE)
    await expectInvalid(codec.decode(cursor, 'prompts/list', 'g1'))
  })

  it('refuses a cursor from an older generation and tells the client to list again', async () => {
    const codec = createCursorCodec()
    const cursor = await codec.encode(STATE)
    await expectInvalid(
      codec.decode(cursor, 'tools/list', 'g2'),
      'Stale cursor: the list changed, list again',
    )
  })

  it('refuses cursors longer than 1,024 characters before checking them', async () => {
    const codec = createCursorCodec()
    await expectInvalid(codec.decode(`${'A'.repeat(1000)}.${'A'.repeat(43)}`, 'tools/list', 'g1'))
  })

  it('refuses a non-string cursor with -32602', async () => {
    const codec = createCursorCodec()
    for (const value of [undefined, null, 42, {}, ['a.b']]) {
      await expectInvalid(codec.decode(value as unknown as string, 'tools/list', 'g1'))
    }
  })

  it('refuses to encode an offset that is not a non-negative safe integer', async () => {
    const codec = createCursorCodec()
    for (const offset of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await expect(codec.encode({ ...STATE, offset })).rejects.toThrow(TypeError)
    }
  })

  it('refuses to encode a cursor it could not decode (over 1,024 characters)', async () => {
    const codec = createCursorCodec()
    await expect(codec.encode({ ...STATE, generation: 'g'.repeat(1000) })).rejects.toThrow(
      /\[@mcpx\/router\] cursor longer than 1024/,
    )
  })

  it('rejects a short or mistyped key at construction', () => {
    for (const key of ['short', 'x'.repeat(15), new Uint8Array(15), 42, {}]) {
      expect(() => createCursorCodec({ key: key as string })).toThrow(
        /\[@mcpx\/router\] cursor key/,
      )
    }
    expect(() => createCursorCodec({ key: 'x'.repeat(16) })).not.toThrow()
    expect(() => createCursorCodec({ key: new Uint8Array(16) })).not.toThrow()
  })
})

describe('properties', () => {
  const codec = createCursorCodec({ key: KEY })
  const b64 = fc.string({ unit: fc.constantFrom(...'AZaz09-_'.split('')), maxLength: 80 })

  it('refuses random strings with McpxError -32602 and nothing else', async () => {
    const anyText = fc.string({ unit: 'binary', maxLength: 1200 })
    const shaped = fc.tuple(b64, b64).map(([a, b]) => `${a}.${b}`)
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyText, shaped), async (text) => {
        await expectInvalid(codec.decode(text, 'tools/list', 'g1'))
      }),
      { numRuns: 500 },
    )
  })

  it('refuses well-formed payloads of any content under a forged MAC', async () => {
    const json = fc.jsonValue().map((v) => JSON.stringify(v))
    await fc.assert(
      fc.asyncProperty(json, fc.uint8Array({ minLength: 32, maxLength: 32 }), async (p, mac) => {
        const encode = (bytes: Uint8Array) =>
          btoa(String.fromCharCode(...bytes))
            .replace(/\+/g, '-')
            .replace(/\//g, '_')
            .replace(/=+$/, '')
        const cursor = `${encode(new TextEncoder().encode(p))}.${encode(mac)}`
        await expectInvalid(codec.decode(cursor, 'tools/list', 'g1'))
      }),
      { numRuns: 200 },
    )
  })

  it('round-trips any state', async () => {
    const state = fc.record({
      list: fc.constantFrom('tools/list', 'prompts/list', 'resources/list'),
      offset: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      generation: fc.string({ maxLength: 40 }),
    })
    await fc.assert(
      fc.asyncProperty(state, async (s) => {
        expect(await codec.decode(await codec.encode(s), s.list, s.generation)).toEqual(s)
      }),
      { numRuns: 200 },
    )
  })
})
