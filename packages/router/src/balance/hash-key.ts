import { type Context, principalKey } from '@mcpx/core'
import type { HashKey } from './balancer.js'
import { describeValue } from './describe-value.js'

/** Reads a sticky key from a context; undefined when the message has none. */
export type KeyReader = (ctx: Context) => string | undefined

const NAMED = ['session', 'principal', 'client-address'] as const

const readers: Record<(typeof NAMED)[number], KeyReader> = {
  session: (ctx) => ctx.session.id,
  principal: (ctx) => ctx.get(principalKey)?.subject,
  'client-address': (ctx) => ctx.session.remoteAddress,
}

/**
 * Compile a {@link HashKey} into a reader, once, when the balancer is built.
 * An empty string reads as undefined, so a blank header or session id never
 * pins every keyless client to one replica.
 *
 * @param group - The group the key belongs to, named in the TypeError for an invalid key.
 * @example
 * ```ts
 * const read = hashKey({ header: 'X-Tenant' }, 'search')
 * read(ctx) // the first `x-tenant` header value, or undefined
 * ```
 */
export function hashKey(key: HashKey, group: string): KeyReader {
  const read = compile(key, group)
  return (ctx) => {
    const value = read(ctx)
    return value === '' ? undefined : value
  }
}

function compile(key: HashKey, group: string): KeyReader {
  if (typeof key === 'function') {
    return (ctx) => {
      const value = key(ctx)
      return typeof value === 'string' ? value : undefined
    }
  }
  if (typeof key === 'string' && (NAMED as readonly string[]).includes(key)) {
    return readers[key as (typeof NAMED)[number]]
  }
  if (typeof key === 'object' && key !== null && typeof key.header === 'string' && key.header) {
    // SessionInfo.headers has lower-case names.
    const name = key.header.toLowerCase()
    return (ctx) => {
      const value = ctx.session.headers?.[name]
      return Array.isArray(value) ? value[0] : value
    }
  }
  throw new TypeError(
    `[@mcpx/router] group "${group}": the hash key must be 'session', 'principal', ` +
      `'client-address', { header: string } or a function, got ${describeValue(key)}`,
  )
}
