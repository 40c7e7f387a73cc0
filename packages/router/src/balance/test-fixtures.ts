import { Context, type Principal, principalKey, type SessionInfo } from '@mcpx/core'
import type { Replica } from './balancer.js'

/** Test-only: replicas named a, b, c, … with these weights. */
export function replicasOf<const W extends readonly number[]>(
  ...weights: W
): { -readonly [K in keyof W]: Replica } {
  return weights.map((weight, i) => ({ name: String.fromCharCode(97 + i), weight })) as {
    -readonly [K in keyof W]: Replica
  }
}

/** Test-only: a tools/call context with this session (and principal). */
export function contextOf(session: Partial<SessionInfo> = {}, principal?: Principal): Context {
  const ctx = new Context<string>({
    kind: 'request',
    method: 'tools/call',
    session: { id: undefined, transport: 'streamable-http', ...session },
  })
  if (principal) ctx.set(principalKey, principal)
  return ctx
}

/** Test-only: a context keyed by client address, one per simulated client. */
export function clientContext(i: number): Context {
  return contextOf({ remoteAddress: `10.0.${i >> 8}.${i & 255}:${40_000 + i}` })
}

/** Test-only: how many of `picks` went to each replica name. */
export function tally(picked: Iterable<Replica>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const replica of picked) counts[replica.name] = (counts[replica.name] ?? 0) + 1
  return counts
}
