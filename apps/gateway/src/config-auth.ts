import { isIP } from 'node:net'
import {
  type AccessOptions,
  access,
  type ProtectedResourceMetadataOptions,
  protectedResourceMetadata,
} from '@mcpx/auth'
import { at, isObject, object, oneOf, type Problems, record, shown, strings } from './check.js'
import { AUTHENTICATORS, checkAuthenticators, checkScopeList } from './config-authenticators.js'
import type { AuthConfig, GatewayConfig } from './config-types.js'

const AUTH = [
  ...AUTHENTICATORS,
  'resource',
  'authorizationServers',
  'scopesSupported',
  'scopes',
] as const
const RULE_KINDS = ['tools', 'prompts', 'resources', 'resourceTemplates'] as const
const SCOPES = [...RULE_KINDS, 'unmatched', 'refuse'] as const
const UNMATCHED = ['allow', 'deny'] as const
const REFUSE = ['insufficient-scope', 'unknown'] as const
/** What `protectedResourceMetadata()` names at the start of a refusal: a key of `auth`. */
const METADATA_KEY = /^((?:resource|authorizationServers|scopesSupported)(?:\[\d+\])?):? (.*)$/s

/**
 * The `auth` section: absent (anonymous, and only on loopback: see
 * {@link exposureProblem}), the string `none` (anonymous on purpose), or at
 * least one authenticator with, optionally, the RFC 9728 metadata and scope
 * rules.
 */
export function checkAuth(value: unknown, problems: Problems): GatewayConfig['auth'] {
  if (value === undefined || value === 'none') return value
  if (!isObject(value)) {
    return problems.add('auth', `must be 'none' or an object, got ${shown(value)}`)
  }
  const auth = object(value, 'auth', problems, AUTH)!
  if (!AUTHENTICATORS.some((kind) => auth[kind] !== undefined)) {
    problems.add('auth', `needs an authenticator: ${AUTHENTICATORS.join(', ')} (or auth: none)`)
  }
  const authenticators = checkAuthenticators(auth, problems)
  const metadata = checkMetadata(auth, problems)
  return { authenticators, metadata, access: checkScopes(auth.scopes, problems) }
}

function checkMetadata(
  auth: Record<string, unknown>,
  problems: Problems,
): ProtectedResourceMetadataOptions | undefined {
  const servers = strings(auth.authorizationServers, 'auth.authorizationServers', problems)
  const scopesSupported = checkScopeList(auth.scopesSupported, 'auth.scopesSupported', problems)
  if (auth.resource === undefined) {
    for (const key of ['authorizationServers', 'scopesSupported'] as const) {
      if (auth[key] !== undefined) problems.add(at('auth', key), 'only with auth.resource')
    }
    return undefined
  }
  if (typeof auth.resource !== 'string' || auth.resource === '') {
    return problems.add('auth.resource', `must be a URL, got ${shown(auth.resource)}`)
  }
  if (auth.authorizationServers === undefined) {
    // MCP 2025-11-25 §Authorization Server Discovery: the document names at least one.
    return problems.add('auth.authorizationServers', 'is required with auth.resource')
  }
  if (servers === undefined || scopesSupported === undefined) return undefined
  if (servers.length === 0) {
    return problems.add('auth.authorizationServers', 'must name at least one issuer')
  }
  const options: ProtectedResourceMetadataOptions = {
    resource: auth.resource,
    authorizationServers: servers,
    ...(auth.scopesSupported !== undefined && { scopesSupported }),
  }
  try {
    protectedResourceMetadata(options)
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    const why = error.message.replace(/^\[@mcpx\/auth\] /, '')
    const named = METADATA_KEY.exec(why)
    return named ? problems.add(`auth.${named[1]}`, named[2]!) : problems.add('auth', why)
  }
  return options
}

type AccessConfig = NonNullable<AuthConfig['access']>

/** `auth.scopes`: per kind, name pattern → the scope or scopes it needs; `unmatched`, `refuse`. */
function checkScopes(value: unknown, problems: Problems): AccessConfig | undefined {
  const scopes = object(value, 'auth.scopes', problems, SCOPES)
  if (scopes === undefined) return undefined
  const unmatched = oneOf(scopes.unmatched, 'auth.scopes.unmatched', problems, UNMATCHED)
  const refuse = oneOf(scopes.refuse, 'auth.scopes.refuse', problems, REFUSE)
  const rules: AccessOptions['rules'] = {}
  let ok = true
  for (const kind of RULE_KINDS) {
    const path = at('auth.scopes', kind)
    const map = record(scopes[kind], path, problems)
    if (map === undefined) {
      if (scopes[kind] !== undefined) ok = false
      continue
    }
    const entries: [string, string[]][] = []
    for (const [pattern, needed] of Object.entries(map)) {
      const where = at(path, pattern)
      const list = checkScopeList(typeof needed === 'string' ? [needed] : needed, where, problems)
      if (list?.length === 0) problems.add(where, 'must name a scope or a non-empty array of them')
      if (list?.length && patternOk(kind, pattern, where, problems)) entries.push([pattern, list])
      else ok = false
    }
    rules[kind] = Object.fromEntries(entries)
  }
  if (!ok) return undefined
  return {
    rules,
    ...(unmatched !== undefined && { unmatched }),
    ...(refuse !== undefined && { refuse }),
  }
}

/** A pattern `access()` accepts (the router's globs), compiled now so that a bad one has its path. */
function patternOk(kind: string, pattern: string, path: string, problems: Problems): boolean {
  try {
    access({ rules: { [kind]: { [pattern]: 'x' } } })
    return true
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    // Globs are core's compileGlob(), whose messages carry its own prefix.
    return problems.add(path, error.message.replace(/^\[@mcpx\/(auth|core)\] /, '')) ?? false
  }
}

/**
 * Serving anonymously beyond this machine needs saying so: with no `auth`
 * section, a network front end must listen on a loopback address. Checked
 * after the command line's `--host` has been applied.
 */
export function exposureProblem(config: GatewayConfig): string | undefined {
  const { transport, host } = config.serve
  if (config.auth !== undefined || transport === 'stdio' || isLoopback(host)) return undefined
  return `serve.host: ${host} is not a loopback address, and with no auth section every client would be anonymous: add one, or say auth: none to serve anonymously anyway`
}

/** `localhost`, 127.0.0.0/8 and ::1 (with or without brackets, or v4-mapped). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare)
  return false
}
