/**
 * RFC 6749 §3.3: a scope token is one or more of %x21 / %x23-5B / %x5D-7E
 * (printable ASCII without space, `"` and `\`).
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** Whether `scope` is a valid RFC 6749 §3.3 scope token. */
export function isScopeToken(scope: unknown): scope is string {
  return typeof scope === 'string' && SCOPE_TOKEN.test(scope)
}

/** Checks configured scopes once, when a factory runs. */
export function assertScopes(scopes: readonly unknown[], where: string): readonly string[] {
  for (const scope of scopes) {
    if (!isScopeToken(scope)) {
      throw new TypeError(
        `[@mcpx/auth] ${where}: ${JSON.stringify(scope)} is not a scope (RFC 6749 §3.3: no spaces, quotes or backslashes)`,
      )
    }
  }
  return Object.freeze([...new Set(scopes as string[])])
}

/**
 * Whether the granted scope `granted` satisfies the required scope
 * `required`. The rule, and nothing more:
 *
 * - Scopes are split into segments at `:`. Without a `*` segment, a grant
 *   satisfies only the identical scope (`tools` does not grant `tools:call`;
 *   `tools:call` does not grant `tools`).
 * - A `*` segment in a grant matches exactly one segment of the required
 *   scope (`*:read` grants `math:read`, not `math:admin:read`), except as
 *   the grant's last segment, where it matches one or more (`tools:*` grants
 *   `tools:call` and `tools:call:admin`, but not `tools` itself).
 * - So `*` alone grants every scope.
 * - `*` is a wildcard only as a whole segment: `tool*` and `tools:c*` are
 *   literal. Required scopes are always literal: requiring `tools:*` is
 *   satisfied by a grant of `tools:*` (or `*`), not by `tools:call`.
 * - Comparison is exact and case-sensitive (RFC 6749 §3.3).
 *
 * @example
 * ```ts
 * grantsScope('tools:*', 'tools:call') // true
 * grantsScope('tools', 'tools:call') // false
 * ```
 */
export function grantsScope(granted: string, required: string): boolean {
  if (granted === required) return true
  if (!granted.includes('*')) return false
  return segmentsGrant(granted.split(':'), required.split(':'))
}

function segmentsGrant(granted: readonly string[], required: readonly string[]): boolean {
  const last = granted.length - 1
  if (granted[last] === '*') {
    // A trailing `*` needs at least one segment to match.
    if (required.length < granted.length) return false
  } else if (required.length !== granted.length) return false
  for (let i = 0; i < last; i++) {
    if (granted[i] !== '*' && granted[i] !== required[i]) return false
  }
  return granted[last] === '*' || granted[last] === required[last]
}

/**
 * A principal's granted scopes, compiled once for many checks: the exact
 * ones in a set, the wildcard ones (with a `*` segment) split.
 */
export interface Grants {
  /** Whether these grants satisfy `required` (see {@link grantsScope}). */
  has(required: string): boolean
  /** The scopes of `required` these grants do not satisfy, in order. */
  missing(required: readonly string[]): string[]
}

function hasWildcardSegment(scope: string): boolean {
  return scope === '*' || scope.startsWith('*:') || scope.endsWith(':*') || scope.includes(':*:')
}

/** Compile granted scopes for repeated checks; see {@link grantsScope} for the rule. */
export function compileGrants(granted: readonly string[]): Grants {
  const exact = new Set<string>()
  const wildcards: string[][] = []
  for (const scope of granted) {
    if (typeof scope !== 'string') continue
    if (hasWildcardSegment(scope)) wildcards.push(scope.split(':'))
    else exact.add(scope)
  }
  const everything = wildcards.some((segments) => segments.length === 1)
  function has(required: string): boolean {
    if (everything || exact.has(required)) return true
    if (wildcards.length === 0) return false
    const segments = required.split(':')
    return wildcards.some((grant) => segmentsGrant(grant, segments))
  }
  return {
    has,
    missing: (required) => required.filter((scope) => !has(scope)),
  }
}

/**
 * The scopes of `required` that `granted` does not satisfy (see {@link grantsScope}).
 *
 * @example
 * ```ts
 * missingScopes(['math:*'], ['math:read', 'admin']) // ['admin']
 * ```
 */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  return compileGrants(granted).missing(required)
}

const compiledGrants = new WeakMap<object, Grants>()

/** A principal's grants, compiled once per principal object (authenticators freeze and reuse them). */
export function grantsOf(principal: { readonly scopes: readonly string[] }): Grants {
  let grants = compiledGrants.get(principal)
  if (grants === undefined) {
    grants = compileGrants(Array.isArray(principal.scopes) ? principal.scopes : [])
    compiledGrants.set(principal, grants)
  }
  return grants
}
