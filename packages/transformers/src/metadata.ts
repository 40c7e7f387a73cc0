import {
  addHeaders,
  answerHeadersKey,
  type Context,
  createKey,
  type Key,
  type Middleware,
  principalKey,
  targetKey,
  upstreamHeadersKey,
} from '@mcpx/core'
import { fail, flag, options as known } from './validate.js'

/** What {@link metadata} can add. */
export type MetadataField = 'requestId' | 'clientId' | 'gateway' | 'duration'

/** Options of {@link metadata}. */
export interface MetadataOptions {
  /**
   * The `_meta` key prefix, reverse DNS and a slash as MCP asks of `_meta`
   * keys (`com.example/`); keys are `<prefix>request-id`, `client-id`,
   * `gateway`, `duration-ms`. A prefix MCP reserves (a label
   * `modelcontextprotocol` or `mcp` followed by another: `mcp.dev/`) is refused.
   * @defaultValue 'dev.mcpx/'
   */
  readonly prefix?: string
  /** The gateway's name, under `<prefix>gateway`. @defaultValue 'mcpx' */
  readonly gateway?: string
  /** What to add. `duration` goes on results only (the ms from here to the answer). @defaultValue all four */
  readonly fields?: readonly MetadataField[]
  /** Which `_meta` to write: of the request sent to the upstream, of the result sent back, or both. @defaultValue 'both' */
  readonly to?: 'requests' | 'results' | 'both'
  /**
   * HTTP headers for the request id: on the request to an HTTP upstream
   * and on the HTTP answer to the client (core's per-message headers).
   * @defaultValue `{ upstream: true, answer: true }`
   */
  readonly headers?: { readonly upstream?: boolean; readonly answer?: boolean }
  /** The header that carries the request id, both ways. @defaultValue 'x-request-id' */
  readonly header?: string
  /**
   * Take the request id from the client's own request-id header when it is
   * a plain token of at most 128 characters, instead of making one.
   * @defaultValue true
   */
  readonly acceptRequestId?: boolean
}

/** The request id `metadata()` gave the current message, for layers after it (an access log). */
export const requestIdKey: Key<string> = createKey<string>('mcpx.transformers.requestId')

const KEYS = ['prefix', 'gateway', 'fields', 'to', 'headers', 'header', 'acceptRequestId']
const FIELDS: readonly MetadataField[] = ['requestId', 'clientId', 'gateway', 'duration']
/** MCP `_meta` key prefixes: dot-separated labels (letter first, letter or digit last), then a slash. */
const PREFIX =
  /^[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\/$/
/** MCP reserves a prefix with a label `modelcontextprotocol` or `mcp` followed by another label (`mcp.dev/`, `api.modelcontextprotocol.org/`). */
const RESERVED = /(^|\.)(modelcontextprotocol|mcp)\.[A-Za-z]/
const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/
const HEADER = /^[!#$%&'*+.^_`|~0-9a-z-]+$/

type Meta = Record<string, unknown>

/**
 * Stamp each request with who, what and when: a request id, the client's
 * id (its principal), the gateway's name and, on the result, the time it
 * took, under `_meta` keys with a reverse-DNS prefix (MCP: `_meta` keys of
 * implementations carry a prefix), and the request id as an HTTP header to
 * an HTTP upstream and on the HTTP answer. Under its own prefix it alone
 * speaks on a request (a client's `<prefix>client-id` is replaced);
 * otherwise it never replaces a key or header the client or the upstream
 * set, and never mutates what it was given: the params and the result are
 * copied where it writes. Put it above the router, so that a request the
 * router fans out (`tools/list`) has one id at every upstream and its
 * merged answer is stamped; below it, it stamps each upstream's own
 * request (a sub-request keeps its message's id). Requests only:
 * notifications, `initialize`, `ping` and server-to-client messages pass.
 *
 * @example
 * ```ts
 * proxy.use(metadata({ prefix: 'com.example/', gateway: 'edge-1' }), router({ upstreams }))
 * ```
 */
export function metadata(options: MetadataOptions = {}): Middleware {
  const o = known('', options, KEYS, 'metadata() options')
  const prefix = prefixOf(o.prefix)
  const gateway = o.gateway ?? 'mcpx'
  if (typeof gateway !== 'string' || gateway === '') fail('gateway', 'a non-empty string')
  const fields = new Set(fieldsOf(o.fields))
  const to = o.to ?? 'both'
  if (to !== 'requests' && to !== 'results' && to !== 'both') {
    fail('to', "'requests', 'results' or 'both'")
  }
  const headers = known('headers', o.headers, ['upstream', 'answer'])
  const header = o.header ?? 'x-request-id'
  if (typeof header !== 'string' || !HEADER.test(header)) fail('header', 'a lower-case header name')
  const accept = flag('acceptRequestId', o.acceptRequestId, true)
  const keys = {
    requestId: `${prefix}request-id`,
    clientId: `${prefix}client-id`,
    gateway: `${prefix}gateway`,
    duration: `${prefix}duration-ms`,
  }
  const toUpstream = flag('headers.upstream', headers.upstream, true)
  const toAnswer = flag('headers.answer', headers.answer, true)
  const requests = to !== 'results'
  const results = to !== 'requests'

  return async function metadata(ctx, next) {
    if (ctx.kind !== 'request' || ctx.direction === 'toClient' || SKIPPED.has(ctx.method)) {
      return next()
    }
    const started = performance.now()
    // A sub-request (a router's fork per upstream) keeps its message's id.
    const requestId =
      ctx.get(requestIdKey) ??
      ((accept && clientRequestId(ctx, header)) || globalThis.crypto.randomUUID())
    ctx.set(requestIdKey, requestId)
    const stamp: Meta = {}
    if (fields.has('requestId')) stamp[keys.requestId] = requestId
    const principal = ctx.get(principalKey)
    const clientId = principal?.clientId ?? principal?.subject
    if (fields.has('clientId') && clientId !== undefined) stamp[keys.clientId] = clientId
    if (fields.has('gateway')) stamp[keys.gateway] = gateway
    if (fields.has('requestId') && toUpstream)
      addHeaders(ctx, upstreamHeadersKey, { [header]: requestId })
    if (requests) stampRequest(ctx, stamp, prefix)
    try {
      await next()
    } finally {
      // On an error answer too, thrown or set: the id is how an operator finds the failure.
      if (fields.has('requestId') && toAnswer)
        addHeaders(ctx, answerHeadersKey, { [header]: requestId })
    }
    if (!results || ctx.error !== undefined) return
    if (fields.has('duration')) stamp[keys.duration] = Math.round(performance.now() - started)
    ctx.result = withMeta(ctx.result, stamp, undefined) as typeof ctx.result
  }
}

/** Answered by `forward()` itself (`ping`), or fanned out by the router (`initialize`). */
const SKIPPED = new Set(['initialize', 'ping'])

function prefixOf(value: unknown): string {
  const prefix = value ?? 'dev.mcpx/'
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    fail('prefix', 'reverse-DNS labels and a slash, such as com.example/')
  }
  if (RESERVED.test(prefix)) {
    fail(
      'prefix',
      'a prefix MCP does not reserve (none with a label "modelcontextprotocol" or "mcp" followed by another)',
    )
  }
  return prefix
}

function fieldsOf(value: unknown): readonly MetadataField[] {
  if (value === undefined) return FIELDS
  if (!Array.isArray(value) || value.some((f) => !FIELDS.includes(f))) {
    fail('fields', `a list of ${FIELDS.join(', ')}`)
  }
  return value
}

/** The client's own request id header, when it is a plain token. */
function clientRequestId(ctx: Context, header: string): string | undefined {
  const value = ctx.session.headers?.[header]
  return typeof value === 'string' && TOKEN.test(value) ? value : undefined
}

/**
 * The request's params as sent upstream (the router's target, else the
 * message's), with `stamp` in `_meta`. Keys under the gateway's own
 * `prefix` that came with the request are replaced: a client must not pass
 * for the gateway (`client-id: admin`).
 */
function stampRequest(ctx: Context, stamp: Meta, prefix: string): void {
  const target = ctx.get(targetKey)
  if (target) {
    const params = withMeta(target.params, stamp, prefix)
    if (params !== target.params)
      ctx.set(targetKey, { ...target, params: params as typeof target.params })
    return
  }
  const params = withMeta(ctx.params, stamp, prefix)
  if (params !== ctx.params) ctx.params = params as typeof ctx.params
}

/**
 * `value` (params or a result) with `stamp`'s keys added to its `_meta`
 * where they are not there yet (or, under `owned`, whatever is there); a
 * copy when anything changed, else `value` itself. A value that is not an
 * object is left alone.
 */
function withMeta(value: unknown, stamp: Meta, owned: string | undefined): unknown {
  if (
    value !== undefined &&
    (typeof value !== 'object' || value === null || Array.isArray(value))
  ) {
    return value
  }
  const current = (value as { _meta?: unknown } | undefined)?._meta
  // A `_meta` that is not an object is the sender's own business: left as it is.
  if (
    current !== undefined &&
    (typeof current !== 'object' || current === null || Array.isArray(current))
  ) {
    return value
  }
  const meta = current as Meta | undefined
  let added: Meta | undefined
  if (owned !== undefined && meta !== undefined) {
    // The sender's keys under the gateway's prefix go: only the gateway speaks there.
    for (const key in meta) {
      if (!key.startsWith(owned) || Object.hasOwn(stamp, key)) continue
      added ??= { ...meta }
      delete added[key]
    }
  }
  for (const key in stamp) {
    const there = meta !== undefined && Object.hasOwn(meta, key)
    if (there && (owned === undefined || meta[key] === stamp[key])) continue
    added ??= { ...meta }
    added[key] = stamp[key]
  }
  if (added === undefined) return value
  return { ...(value as object), _meta: added }
}
