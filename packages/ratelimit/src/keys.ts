import { type Context, type Principal, principalKey, type SessionInfo } from '@mcpx/core'

/** What a limit counts separately. */
export type KeyKind = 'global' | 'client' | 'tool' | 'client-tool'

/** A custom key: the message's key for this limit, or `undefined` when the limit does not apply to it. */
export type KeyFunction = (ctx: Context) => string | undefined

/** Longest key a store receives; a longer one is shortened and tagged with its hash. */
export const MAX_KEY = 256

const principals = new WeakMap<Principal, string>()
const sessions = new WeakMap<SessionInfo, string>()

/**
 * 32-bit FNV-1a with a seed, twice: 64 bits telling long keys apart. Not a
 * secret hash: a client that makes two of its own long keys collide only
 * shares its own budget between them.
 */
function fnv(text: string, seed: number): string {
  let hash = seed
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0).toString(36)
}

/**
 * `key` within {@link MAX_KEY} characters: as it is, or a hash of the whole
 * and its start. A shortened key begins with `#`, which no key built here
 * begins with (they all start with their kind), so a short key can never
 * pass for a long one's shortened form.
 */
export function bounded(key: string): string {
  if (key.length <= MAX_KEY) return key
  return `#${fnv(key, 0x811c9dc5)}${fnv(key, 0x50c5d1f)}:${key.slice(0, MAX_KEY - 32)}`
}

/**
 * Who is calling, for per-client limits: the principal (its client id and
 * subject), else the session, else the remote address; `anonymous` when
 * nothing tells callers apart (one stdio client). The kinds never collide
 * (`p:`, `s:`, `a:`). Cached per principal and per session, so a repeat
 * caller builds no string.
 */
export function clientKey(ctx: Context): string {
  const principal = ctx.get(principalKey)
  if (principal !== undefined) {
    let key = principals.get(principal)
    if (key === undefined) {
      key = bounded(`p:${principal.clientId ?? ''}\u0000${principal.subject}`)
      principals.set(principal, key)
    }
    return key
  }
  const { session } = ctx
  let key = sessions.get(session)
  if (key === undefined) {
    const { id, remoteAddress } = session
    if (id !== undefined) key = bounded(`s:${id}`)
    else if (remoteAddress !== undefined) key = bounded(`a:${remoteAddress}`)
    else key = 'anonymous'
    sessions.set(session, key)
  }
  return key
}

/** The tool a `tools/call` names, or undefined for any other message. */
export function toolOf(ctx: Context): string | undefined {
  if (ctx.method !== 'tools/call') return undefined
  const name = (ctx.params as { name?: unknown } | undefined)?.name
  return typeof name === 'string' ? name : undefined
}

/** The key of `ctx` for a limit counted by `by`, or undefined when the limit does not apply. */
export function keyOf(by: KeyKind | KeyFunction, ctx: Context): string | undefined {
  switch (by) {
    case 'global':
      return 'global'
    case 'client':
      return clientKey(ctx)
    case 'tool': {
      const tool = toolOf(ctx)
      return tool === undefined ? undefined : bounded(`t:${tool}`)
    }
    case 'client-tool': {
      const tool = toolOf(ctx)
      return tool === undefined ? undefined : bounded(`${clientKey(ctx)}\u0000${tool}`)
    }
    default: {
      const key = by(ctx)
      if (key === undefined) return undefined
      if (typeof key !== 'string') {
        throw new TypeError('[@mcpx/ratelimit] a key function must return a string or undefined')
      }
      return bounded(`k:${key}`)
    }
  }
}
