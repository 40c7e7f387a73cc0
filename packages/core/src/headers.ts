import type { Context } from './context.js'
import { createKey, type Key } from './key.js'

/** Header names (lower case) to values: what a message adds to an HTTP request or answer. */
export type MessageHeaders = Readonly<Record<string, string>>

/**
 * Headers for the HTTP request that carries the current message to an HTTP
 * upstream (`x-request-id`, `traceparent`). The HTTP connectors send them;
 * other transports have no headers and ignore them. Lower-case names. Add
 * to it with {@link addHeaders}, never by replacing what is there.
 */
export const upstreamHeadersKey: Key<MessageHeaders> =
  createKey<MessageHeaders>('mcpx.upstreamHeaders')

/**
 * Headers for the HTTP answer to the client (`x-request-id`,
 * `cache-control`), set by the Streamable HTTP front end where the whole
 * HTTP answer is this one message's and still to be written: a POST
 * answered with JSON, success or error. An answer that became an SSE
 * stream (progress, a server request first) has sent its headers already.
 * Lower-case names. Add to it with {@link addHeaders}.
 */
export const answerHeadersKey: Key<MessageHeaders> = createKey<MessageHeaders>('mcpx.answerHeaders')

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/
/**
 * A value with a control character other than tab (CR, LF, NUL) could
 * split a header; one past Latin-1 cannot be written at all (Node and
 * fetch throw when they send it): never accepted.
 */
function unsafe(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return true
  }
  return false
}

/**
 * Add `headers` to the message's headers under `key`, copy on write (the
 * object already there may be shared). A name already there keeps its
 * value unless `overwrite`: what the client, the upstream or an earlier
 * layer set wins. Names are lower-cased; a name that is not an HTTP token,
 * or a value with a control character, throws a `TypeError` (a bug in the
 * caller, never client input passed through unchecked).
 *
 * @example
 * ```ts
 * addHeaders(ctx, upstreamHeadersKey, { 'x-request-id': String(ctx.id) })
 * ```
 */
export function addHeaders(
  ctx: Context,
  key: Key<MessageHeaders>,
  headers: MessageHeaders,
  overwrite = false,
): void {
  const current = ctx.get(key)
  let next: Record<string, string> | undefined
  for (const [raw, value] of Object.entries(headers)) {
    const name = raw.toLowerCase()
    if (!HEADER_NAME.test(name)) throw new TypeError(`[@mcpx/core] not a header name: ${raw}`)
    if (typeof value !== 'string' || unsafe(value)) {
      throw new TypeError(`[@mcpx/core] header ${name} has a value that cannot be sent`)
    }
    if (!overwrite && current !== undefined && Object.hasOwn(current, name)) continue
    next ??= { ...current }
    next[name] = value
  }
  if (next !== undefined) ctx.set(key, Object.freeze(next))
}
