import * as nodeCrypto from 'node:crypto'
import { ErrorCode, McpxError } from '@mcpx/core'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { basic, hashPassword } from './basic.js'

vi.mock('node:crypto', async (original) => {
  const actual = await original<typeof import('node:crypto')>()
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) }
})

// Cheap parameters keep the tests fast; the defaults are tested once.
const FAST = { N: 1024, r: 8, p: 1 }
const header = (user: string, password: string) => ({
  headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
})

const BASIC = 'Basic realm="mcpx", charset="UTF-8"'

async function message(promise: Promise<unknown>): Promise<string> {
  await challenge(promise.catch((e: unknown) => Promise.reject(e)))
  return promise.then(
    () => '',
    (e: McpxError) => e.message,
  )
}

async function challenge(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(McpxError.is(error)).toBe(true)
  expect((error as McpxError).code).toBe(ErrorCode.Unauthorized)
  return (error as McpxError).headers?.['www-authenticate']
}

describe('hashPassword()', () => {
  it('stores scrypt$N$r$p$salt$hash with a fresh salt each time', async () => {
    const a = await hashPassword('pw')
    const b = await hashPassword('pw')
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(a).not.toBe(b)
  })

  it('refuses an empty password and parameters out of bounds', async () => {
    await expect(hashPassword('')).rejects.toThrow(TypeError)
    await expect(hashPassword('pw', { N: 1000 })).rejects.toThrow(TypeError)
    await expect(hashPassword('pw', { N: 2 ** 21 })).rejects.toThrow(TypeError)
  })
})

describe('basic()', () => {
  let verify: ReturnType<typeof basic>
  const admin = { subject: 'root', scopes: ['admin'] }
  beforeAll(async () => {
    verify = basic({
      users: [
        { username: 'ops', passwordHash: await hashPassword('s3cret: with colon', FAST) },
        { username: 'admin', passwordHash: await hashPassword('hunter2', FAST), principal: admin },
      ],
    })
  })

  it('accepts the right password (a colon in it too), with the default or configured principal', async () => {
    await expect(verify(header('ops', 's3cret: with colon'))).resolves.toEqual({
      subject: 'ops',
      scopes: [],
    })
    await expect(verify(header('admin', 'hunter2'))).resolves.toEqual(admin)
  })

  it('refuses a wrong password and an unknown user alike', async () => {
    await expect(challenge(verify(header('admin', 'hunter3')))).resolves.toBe(BASIC)
    await expect(challenge(verify(header('mallory', 'hunter2')))).resolves.toBe(BASIC)
  })

  it('compares with timingSafeEqual, for an unknown user as well', async () => {
    const compare = vi.mocked(nodeCrypto.timingSafeEqual)
    compare.mockClear()
    await challenge(verify(header('admin', 'nope')))
    await challenge(verify(header('mallory', 'nope')))
    expect(compare).toHaveBeenCalledTimes(2)
  })

  it('answers every refusal with the Basic challenge (RFC 7617 realm and charset)', async () => {
    await expect(challenge(verify({ headers: {} }))).resolves.toBe(BASIC)
    await expect(challenge(verify(header('admin', 'nope')))).resolves.toBe(BASIC)
    const named = basic({
      users: [{ username: 'a', passwordHash: await hashPassword('x', FAST) }],
      realm: 'ops',
    })
    await expect(challenge(named({ headers: {} }))).resolves.toBe(
      'Basic realm="ops", charset="UTF-8"',
    )
  })

  it('refuses no header as missing and a malformed one as an invalid request', async () => {
    await expect(message(verify({ headers: {} }))).resolves.toBe('Authentication required')
    await expect(message(verify({ headers: { authorization: 'Bearer x' } }))).resolves.toBe(
      'Authentication required',
    )
    for (const authorization of [
      'Basic !!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${'A'.repeat(2000)}`,
    ]) {
      await expect(message(verify({ headers: { authorization } }))).resolves.toBe(
        'Invalid authentication request',
      )
    }
  })

  it('validates its users when created', async () => {
    const passwordHash = await hashPassword('x', FAST)
    expect(() => basic({ users: [] })).toThrow(TypeError)
    expect(() => basic({ users: [{ username: 'a:b', passwordHash }] })).toThrow(TypeError)
    expect(() => basic({ users: [{ username: 'a', passwordHash: 'plain' }] })).toThrow(TypeError)
    expect(() =>
      basic({
        users: [
          { username: 'a', passwordHash },
          { username: 'a', passwordHash },
        ],
      }),
    ).toThrow(TypeError)
    expect(() => basic({ users: [{ username: 'a', passwordHash }], realm: 'a"b' })).toThrow(
      TypeError,
    )
  })
})
