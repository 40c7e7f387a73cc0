import type { JwtAlgorithm, JwtOptions } from '@mcpx/auth'
import {
  at,
  httpUrl,
  isObject,
  number,
  object,
  oneOf,
  oneOrMore,
  type Problems,
  required,
  secret,
  string,
  strings,
} from './check.js'

const JWT = [
  'secret',
  'key',
  'jwksUri',
  'jwks',
  'algorithms',
  'issuer',
  'audience',
  'clockTolerance',
  'typ',
  'scopeClaim',
] as const
const JWKS = ['timeout', 'cooldown', 'maxAge'] as const
/** The algorithms a JWT authenticator may allow (`none` never). */
export const ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const satisfies readonly JwtAlgorithm[]
/** RFC 7518 §3.2: an HMAC key at least as long as the hash. */
const HMAC_BYTES: Partial<Record<JwtAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 }

/** An `auth.jwt` entry: `jwt()`'s options. */
export function checkJwt(value: Record<string, unknown>, path: string, problems: Problems) {
  const file = object(value, path, problems, JWT)!
  const sources = (['secret', 'key', 'jwksUri'] as const).filter((k) => file[k] !== undefined)
  if (sources.length !== 1) {
    const given = sources.length > 1 ? ` (got ${sources.join(' and ')})` : ''
    problems.add(path, `needs exactly one of secret, key or jwksUri${given}`)
  }
  const source = sources.length === 1 ? checkKeySource(file, path, problems) : undefined
  const algorithms = required(file.algorithms, at(path, 'algorithms'), problems, checkAlgorithms)
  const audience = checkAudience(file.audience, at(path, 'audience'), problems)
  const issuer = oneOrMore(file.issuer, at(path, 'issuer'), problems)
  const clockTolerance = number(file.clockTolerance, at(path, 'clockTolerance'), problems, {
    min: 0,
  })
  const typ = string(file.typ, at(path, 'typ'), problems)
  const scopeClaim = string(file.scopeClaim, at(path, 'scopeClaim'), problems)
  if (source && 'secret' in source && algorithms) {
    const bytes = new TextEncoder().encode(source.secret).length
    const short = algorithms.find((alg) => bytes < (HMAC_BYTES[alg] ?? 0))
    // Neither the secret nor its length is shown.
    if (short) {
      return problems.add(at(path, 'secret'), `${short} needs at least ${HMAC_BYTES[short]} bytes`)
    }
  }
  if (!source || !algorithms || audience === undefined) return undefined
  return {
    ...source,
    algorithms,
    audience,
    ...(issuer !== undefined && { issuer }),
    ...(clockTolerance !== undefined && { clockTolerance }),
    ...(typ !== undefined && { typ }),
    ...(scopeClaim !== undefined && { scopeClaim }),
  } as JwtOptions
}

/** The one of `secret`, `key` and `jwksUri` the entry has (with `jwks`, only beside `jwksUri`). */
function checkKeySource(file: Record<string, unknown>, path: string, problems: Problems) {
  const jwksFile = object(file.jwks, at(path, 'jwks'), problems, JWKS)
  if (jwksFile !== undefined && file.jwksUri === undefined) {
    problems.add(at(path, 'jwks'), 'only with jwksUri')
  }
  if (file.secret !== undefined) {
    const value = secret(file.secret, at(path, 'secret'), problems)
    return value === undefined ? undefined : { secret: value }
  }
  if (file.key !== undefined) {
    if ((typeof file.key === 'string' && file.key !== '') || isObject(file.key)) {
      return { key: file.key as string }
    }
    return problems.add(at(path, 'key'), 'must be a public key PEM or a JWK object')
  }
  const jwksUri = httpUrl(file.jwksUri, at(path, 'jwksUri'), problems)
  const jwks = Object.fromEntries(
    JWKS.map((k) => [
      k,
      number(jwksFile?.[k], at(at(path, 'jwks'), k), problems, { min: 0 }),
    ]).filter(([, n]) => n !== undefined),
  )
  if (jwksUri === undefined) return undefined
  return { jwksUri, ...(Object.keys(jwks).length > 0 && { jwks }) }
}

/**
 * Required, so that a token minted for another resource is not accepted by
 * default (MCP 2025-11-25 §Token Audience Binding and Validation, RFC 8707);
 * `false` accepts any audience, said on purpose.
 */
export function checkAudience(
  value: unknown,
  path: string,
  problems: Problems,
): string | string[] | false | undefined {
  return value === false ? false : required(value, path, problems, oneOrMore)
}

function checkAlgorithms(value: unknown, path: string, problems: Problems) {
  const list = strings(value, path, problems)
  if (list === undefined) return undefined
  if (list.length === 0) return problems.add(path, 'must name at least one algorithm')
  const checked = list.map((alg, i) => oneOf(alg, at(path, i), problems, ALGORITHMS))
  return checked.every((alg) => alg !== undefined) ? (checked as JwtAlgorithm[]) : undefined
}
