import type { Principal } from '@mcpx/core'
import type { JWTPayload } from 'jose'

/** Scopes from the configured claim, else `scope` (RFC 8693 §4.2), else `scp`; `undefined` if malformed. */
function scopesOf(payload: JWTPayload, claim: string | undefined): string[] | undefined {
  // `in`, not `??`: a `scope` that is present but null is malformed, not a reason to read `scp`.
  const value =
    claim !== undefined ? payload[claim] : 'scope' in payload ? payload.scope : payload.scp
  if (value === undefined) return []
  if (typeof value === 'string') return value.split(' ').filter((scope) => scope !== '')
  if (Array.isArray(value) && value.every((scope) => typeof scope === 'string')) return [...value]
  return undefined
}

/** RFC 9068 §2.2: `sub` is required; the client is `client_id` (RFC 9068) or `azp` (OIDC); `expiresAt` is `exp`. */
export function principalOfPayload(
  payload: JWTPayload,
  scopeClaim: string | undefined,
): Principal | undefined {
  const scopes = scopesOf(payload, scopeClaim)
  const { sub } = payload
  if (scopes === undefined || typeof sub !== 'string' || sub === '') return undefined
  const clientId = payload.client_id ?? payload.azp
  if (clientId !== undefined && typeof clientId !== 'string') return undefined
  const principal: Principal = {
    subject: sub,
    ...(clientId === undefined ? {} : { clientId }),
    scopes: Object.freeze(scopes),
    claims: Object.freeze({ ...payload }),
    // `exp` is required and checked by then.
    expiresAt: (payload.exp as number) * 1000,
  }
  return Object.freeze(principal)
}
