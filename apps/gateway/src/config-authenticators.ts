import {
  type ApiKeyOptions,
  apiKey,
  type BearerOptions,
  bearer,
  type IntrospectionOptions,
  introspection,
  jwt,
} from '@mcpx/auth'
import type { Principal } from '@mcpx/core'
import {
  at,
  httpUrl,
  isObject,
  number,
  object,
  oneOrMore,
  type Problems,
  required,
  secret,
  shown,
  string,
  strings,
} from './check.js'
import { checkAudience, checkJwt } from './config-jwt.js'
import type { AuthenticatorConfig } from './config-types.js'

/** The authenticator keys of `auth`, in the order `anyOf` tries them when the file does not say. */
export const AUTHENTICATORS = ['jwt', 'bearer', 'apiKey', 'introspection'] as const
type AuthenticatorKind = (typeof AUTHENTICATORS)[number]

const INTROSPECTION = [
  'endpoint',
  'clientId',
  'clientSecret',
  'audience',
  'issuer',
  'timeout',
] as const
/** RFC 6749 §3.3 scope tokens, as `@mcpx/auth` checks them. */
export const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/
const SCOPE_RULE = 'must be a scope: printable ASCII without spaces, quotes or backslashes'
const SHA256 = /^[0-9a-fA-F]{64}$/
/** RFC 9110 §5.1 field names. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * The authenticators of an `auth` section, in file order. Each key holds
 * one authenticator or a non-empty list of them (two JWT issuers).
 */
export function checkAuthenticators(
  auth: Record<string, unknown>,
  problems: Problems,
): AuthenticatorConfig[] {
  const found: AuthenticatorConfig[] = []
  for (const kind of Object.keys(auth).filter(isAuthenticator)) {
    for (const [value, path] of entries(auth[kind], at('auth', kind), problems)) {
      const checked = CHECKS[kind](value, path, problems)
      if (checked !== undefined && built(checked, path, problems)) found.push(checked)
    }
  }
  return found
}

const isAuthenticator = (key: string): key is AuthenticatorKind =>
  (AUTHENTICATORS as readonly string[]).includes(key)

type Check = (
  value: Record<string, unknown>,
  path: string,
  problems: Problems,
) => AuthenticatorConfig | undefined

const CHECKS: Record<AuthenticatorKind, Check> = {
  jwt: (value, path, problems) => wrap('jwt', checkJwt(value, path, problems)),
  bearer: (value, path, problems) => wrap('bearer', checkBearer(value, path, problems)),
  apiKey: (value, path, problems) => wrap('apiKey', checkApiKey(value, path, problems)),
  introspection: (value, path, problems) =>
    wrap('introspection', checkIntrospection(value, path, problems)),
}

function wrap<K extends AuthenticatorKind>(
  kind: K,
  options: Extract<AuthenticatorConfig, { kind: K }>['options'] | undefined,
): AuthenticatorConfig | undefined {
  return options && ({ kind, options } as AuthenticatorConfig)
}

/** One object, or a non-empty array of objects, each with its path. */
function entries(
  value: unknown,
  path: string,
  problems: Problems,
): [Record<string, unknown>, string][] {
  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0) problems.add(path, 'must be an object or a non-empty array of them')
  return list.flatMap((item, i): [Record<string, unknown>, string][] => {
    const where = Array.isArray(value) ? at(path, i) : path
    if (isObject(item)) return [[item, where]]
    problems.add(where, `must be an object, got ${shown(item)}`)
    return []
  })
}

/**
 * The factory of `@mcpx/auth` runs once now, so that what only it checks
 * (a public key that does not parse, a key of the wrong type) is a config
 * problem under the entry's path. Its messages never hold a secret.
 */
function built(config: AuthenticatorConfig, path: string, problems: Problems): boolean {
  const factories = { jwt, bearer, apiKey, introspection } as const
  try {
    ;(factories[config.kind] as (options: unknown) => unknown)(config.options)
    return true
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return problems.add(path, error.message.replace(/^\[@mcpx\/auth\] /, '')) ?? false
  }
}

function checkBearer(value: Record<string, unknown>, path: string, problems: Problems) {
  const file = object(value, path, problems, ['tokens'])!
  const tokens = checkSecrets(file.tokens, at(path, 'tokens'), 'token', problems)
  return (
    tokens &&
    ({
      tokens: tokens.map(({ secret, principal }) => ({ token: secret, principal })),
    } satisfies BearerOptions)
  )
}

function checkApiKey(value: Record<string, unknown>, path: string, problems: Problems) {
  const file = object(value, path, problems, ['header', 'keys'])!
  const header = string(file.header, at(path, 'header'), problems)
  const headerOk = header === undefined || HEADER_NAME.test(header)
  if (!headerOk) problems.add(at(path, 'header'), 'must be an HTTP header name')
  const keys = checkSecrets(file.keys, at(path, 'keys'), 'key', problems)
  if (keys === undefined || !headerOk) return undefined
  return {
    keys: keys.map(({ secret, principal }) => ({ key: secret, principal })),
    ...(header !== undefined && { header }),
  } satisfies ApiKeyOptions
}

type SecretEntry = { secret: string | { sha256: string }; principal: Principal }

/** `tokens` or `keys`: each `{ <name> | sha256, subject, clientId?, scopes? }`. */
function checkSecrets(
  value: unknown,
  path: string,
  name: 'token' | 'key',
  problems: Problems,
): SecretEntry[] | undefined {
  if (value === undefined) return problems.add(path, 'is required')
  if (!Array.isArray(value) || value.length === 0) {
    return problems.add(path, `must be a non-empty array of { ${name} or sha256, subject, scopes }`)
  }
  const list = value.map((item, i) => checkSecretEntry(item, at(path, i), name, problems))
  return list.every((entry) => entry !== undefined) ? (list as SecretEntry[]) : undefined
}

function checkSecretEntry(
  value: unknown,
  path: string,
  name: 'token' | 'key',
  problems: Problems,
): SecretEntry | undefined {
  if (!isObject(value)) return problems.add(path, `must be an object, got ${shown(value)}`)
  const file = object(value, path, problems, [name, 'sha256', 'subject', 'clientId', 'scopes'])!
  const plain = secret(file[name], at(path, name), problems)
  const digest = secret(file.sha256, at(path, 'sha256'), problems)
  const exactlyOne = (file[name] === undefined) !== (file.sha256 === undefined)
  if (!exactlyOne) problems.add(path, `needs exactly one of ${name} and sha256`)
  const hex = digest !== undefined && SHA256.test(digest)
  if (digest !== undefined && !hex) {
    problems.add(at(path, 'sha256'), 'must be 64 hex digits (the SHA-256 of the secret)')
  }
  const subject = required(file.subject, at(path, 'subject'), problems, string)
  const clientId = string(file.clientId, at(path, 'clientId'), problems)
  const scopes = checkScopeList(file.scopes, at(path, 'scopes'), problems)
  const given = plain ?? (hex ? { sha256: digest.toLowerCase() } : undefined)
  if (!exactlyOne || given === undefined || subject === undefined || !scopes) return undefined
  return {
    secret: given,
    principal: { subject, scopes, ...(clientId !== undefined && { clientId }) },
  }
}

/** Scopes granted or required: scope tokens. */
export function checkScopeList(value: unknown, path: string, problems: Problems) {
  const list = strings(value, path, problems) ?? (value === undefined ? [] : undefined)
  if (list === undefined) return undefined
  const bad = list.findIndex((scope) => !SCOPE.test(scope))
  if (bad >= 0) return problems.add(at(path, bad), SCOPE_RULE)
  return list
}

function checkIntrospection(value: Record<string, unknown>, path: string, problems: Problems) {
  const file = object(value, path, problems, INTROSPECTION)!
  const endpoint = required(file.endpoint, at(path, 'endpoint'), problems, httpUrl)
  const clientId = required(file.clientId, at(path, 'clientId'), problems, string)
  const clientSecret = required(file.clientSecret, at(path, 'clientSecret'), problems, secret)
  const audience = checkAudience(file.audience, at(path, 'audience'), problems)
  const issuer = oneOrMore(file.issuer, at(path, 'issuer'), problems)
  const timeout = number(file.timeout, at(path, 'timeout'), problems, { min: 1 })
  if (!endpoint || !clientId || !clientSecret || audience === undefined) return undefined
  return {
    endpoint,
    clientId,
    clientSecret,
    audience,
    ...(issuer !== undefined && { issuer }),
    ...(timeout !== undefined && { timeout }),
  } satisfies IntrospectionOptions
}
