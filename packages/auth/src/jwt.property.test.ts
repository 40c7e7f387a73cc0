import { ErrorCode, McpxError } from '@mcpx/core'
import { AUDIENCE, b64u, type KeyPair, keyPair, SECRET } from '@mcpx/test-utils/tokens'
import fc from 'fast-check'
import { beforeAll, expect, it } from 'vitest'
import { jwt } from './jwt.js'

let rsa: KeyPair
beforeAll(async () => {
  rsa = await keyPair('RS256')
})

async function onlyUnauthorized(verify: ReturnType<typeof jwt>, token: string): Promise<boolean> {
  try {
    await verify({ headers: { authorization: `Bearer ${token}` } })
    return false
  } catch (error) {
    return McpxError.is(error) && error.code === ErrorCode.Unauthorized
  }
}

const b64 = fc.uint8Array({ maxLength: 64 }).map((bytes) => b64u(bytes))
const header = fc.record(
  {
    alg: fc.constantFrom('HS256', 'RS256', 'none', 'ES256', 'PS512', 'HS512', ''),
    kid: fc.string(),
    typ: fc.string(),
    crit: fc.array(fc.string(), { maxLength: 2 }),
    b64: fc.boolean(),
  },
  { requiredKeys: [] },
)
const payload = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))
const jwtShaped = fc
  .tuple(
    fc.oneof(
      header.map((h) => b64u(JSON.stringify(h))),
      b64,
    ),
    fc.oneof(
      payload.map((p) => b64u(JSON.stringify(p))),
      b64,
    ),
    b64,
  )
  .map((parts) => parts.join('.'))

it('refuses random byte strings and random JWT-shaped strings with -32030 and nothing else', async () => {
  const verifiers = [
    jwt({ secret: SECRET.repeat(2), algorithms: ['HS256', 'HS512'], audience: AUDIENCE }),
    jwt({ key: rsa.pem, algorithms: ['RS256', 'PS512'], audience: AUDIENCE }),
  ]
  const tokens = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => new TextDecoder().decode(bytes)),
    fc.string({ maxLength: 200 }),
    jwtShaped,
  )
  await fc.assert(
    fc.asyncProperty(tokens, async (token) => {
      for (const verify of verifiers) expect(await onlyUnauthorized(verify, token)).toBe(true)
    }),
    { numRuns: 300 },
  )
})
