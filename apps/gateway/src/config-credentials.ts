import { type ClientCredentialsOptions, clientCredentials } from '@mcpx/auth'
import {
  at,
  httpUrl,
  object,
  oneOf,
  oneOrMore,
  type Problems,
  required,
  secret,
  string,
} from './check.js'
import { SCOPE } from './config-authenticators.js'
import type { UrlTransport } from './config-types.js'

const CLIENT_CREDENTIALS = [
  'tokenUrl',
  'clientId',
  'clientSecret',
  'scope',
  'resource',
  'audience',
  'authMethod',
] as const
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const

/**
 * A URL upstream's `credentials`: the gateway's own OAuth token for it,
 * `{ clientCredentials: { tokenUrl, clientId, clientSecret, … } }` (RFC 6749
 * §4.4). Streamable HTTP only, where headers are asked for per request, and
 * not beside an `Authorization` in `headers`, which it would replace.
 */
export function checkCredentials(
  value: unknown,
  path: string,
  transport: UrlTransport,
  headers: Readonly<Record<string, string>> | undefined,
  problems: Problems,
): ClientCredentialsOptions | undefined {
  const credentials = object(value, path, problems, ['clientCredentials'])
  if (credentials === undefined) return undefined
  if (transport !== 'streamable-http') {
    return problems.add(path, `only with transport 'streamable-http' (got '${transport}')`)
  }
  if (Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'authorization')) {
    return problems.add(path, 'cannot be combined with an Authorization header in headers')
  }
  const where = at(path, 'clientCredentials')
  if (credentials.clientCredentials === undefined) return problems.add(where, 'is required')
  const file = object(credentials.clientCredentials, where, problems, CLIENT_CREDENTIALS)
  if (file === undefined) return undefined
  const tokenUrl = required(file.tokenUrl, at(where, 'tokenUrl'), problems, httpUrl)
  const clientId = required(file.clientId, at(where, 'clientId'), problems, string)
  const clientSecret = required(file.clientSecret, at(where, 'clientSecret'), problems, secret)
  const scope = oneOrMore(file.scope, at(where, 'scope'), problems)
  for (const [i, token] of [scope ?? []].flat().entries()) {
    const place = typeof scope === 'string' ? at(where, 'scope') : at(at(where, 'scope'), i)
    // A string may be space-delimited (RFC 6749 §3.3), so check its tokens one by one.
    if (!token.split(' ').every((part) => SCOPE.test(part))) {
      problems.add(place, 'must be scopes: printable ASCII without quotes or backslashes')
    }
  }
  const resource = string(file.resource, at(where, 'resource'), problems)
  const audience = string(file.audience, at(where, 'audience'), problems)
  const authMethod = oneOf(file.authMethod, at(where, 'authMethod'), problems, AUTH_METHODS)
  if (!tokenUrl || !clientId || !clientSecret) return undefined
  const options: ClientCredentialsOptions = {
    tokenUrl,
    clientId,
    clientSecret,
    ...(scope !== undefined && { scope }),
    ...(resource !== undefined && { resource }),
    ...(audience !== undefined && { audience }),
    ...(authMethod !== undefined && { authMethod }),
  }
  try {
    // Nothing is fetched until the first connection asks for a header.
    clientCredentials(options)
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    const why = error.message.replace(/^\[@mcpx\/auth\] clientCredentials\(\): /, '')
    return problems.add(where, why)
  }
  return options
}
