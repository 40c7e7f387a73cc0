import type { Principal } from '@mcpx/core'
import { constantTimeEqual, sha256 } from './digest.js'

/** A static secret, as given or as the lower-case hex of its SHA-256 digest. */
export type Secret = string | { readonly sha256: string }

const HEX = /^[0-9a-f]{64}$/i

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/** A configured principal, checked and frozen once. */
export function principalOf(value: unknown, what: string): Principal {
  const principal = value as Principal | undefined
  if (
    typeof principal !== 'object' ||
    principal === null ||
    typeof principal.subject !== 'string' ||
    principal.subject === '' ||
    !Array.isArray(principal.scopes) ||
    !principal.scopes.every((scope) => typeof scope === 'string') ||
    (principal.clientId !== undefined && typeof principal.clientId !== 'string')
  ) {
    throw new TypeError(`[@mcpx/auth] ${what} needs a principal with a subject and scopes`)
  }
  return Object.freeze({
    ...principal,
    scopes: Object.freeze([...principal.scopes]),
    ...(principal.claims === undefined ? {} : { claims: Object.freeze({ ...principal.claims }) }),
  })
}

/**
 * Finds the principal of a presented secret among configured ones. Each
 * comparison is of SHA-256 digests in constant time, and every entry is
 * compared (no early exit), so neither a near miss nor which entry matched
 * shows in the timing.
 */
export function secretTable(
  entries: readonly { secret: Secret; principal: unknown }[],
  what: string,
): (presented: string) => Promise<Principal | undefined> {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new TypeError(`[@mcpx/auth] ${what} needs at least one entry`)
  }
  const prepared = entries.map(({ secret, principal }) => {
    if (typeof secret === 'string') {
      if (secret === '') throw new TypeError(`[@mcpx/auth] ${what}: a secret must not be empty`)
      return { digest: sha256(secret), principal: principalOf(principal, what) }
    }
    if (typeof secret !== 'object' || secret === null || !HEX.test(secret.sha256)) {
      throw new TypeError(`[@mcpx/auth] ${what}: { sha256 } must be 64 hex digits`)
    }
    return {
      digest: Promise.resolve(fromHex(secret.sha256)),
      principal: principalOf(principal, what),
    }
  })
  const table = Promise.all(
    prepared.map(async ({ digest, principal }) => ({ digest: await digest, principal })),
  )
  return async function lookup(presented) {
    const digest = await sha256(presented)
    let found: Principal | undefined
    for (const entry of await table) {
      if (constantTimeEqual(digest, entry.digest) && found === undefined) found = entry.principal
    }
    return found
  }
}
