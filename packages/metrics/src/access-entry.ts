// The access log's entry: what one message was, read from its context once it
// was answered, with every client-chosen string capped (issue 14 item 4).
import {
  type Context,
  cacheStatusKey,
  ErrorCode,
  type Key,
  McpxError,
  principalKey,
  sourceKey,
  targetKey,
} from '@mcpx/core'
import {
  CACHE_HIT,
  INTERNAL,
  NOT_FOUND,
  OK,
  type Outcome,
  outcomeOfCode,
  outcomes,
  TOOL_ERROR,
} from './outcomes.js'
import { withoutUserinfo } from './uri.js'

/** One line of the access log: one message, once it was answered. */
export interface AccessLogEntry {
  /** When the message reached `accessLog()`, ISO 8601. */
  time: string
  method: string
  /** The JSON-RPC id as the client gave it; absent for notifications. */
  id?: string | number
  direction: 'toServer' | 'toClient'
  /** The front end the client came through (`streamable-http`, `stdio`, …). */
  transport: string
  /** The session id, where the transport has one. */
  session?: string
  /** The principal's `clientId`, else its `subject` (core's `principalKey`). */
  client?: string
  /** The upstream it went to (core's `targetKey`), or the one it came from for `toClient`. */
  upstream?: string
  /** `tools/call`'s tool name. */
  tool?: string
  /** `prompts/get`'s prompt name. */
  prompt?: string
  /** `resources/read`, `resources/subscribe` and `resources/unsubscribe`'s uri. */
  uri?: string
  /** What the client was answered: the same names as `metrics()`' `outcome` label. */
  outcome: Outcome
  /** From arrival to answer, in milliseconds, rounded to 0.01 ms. */
  durationMs: number
  /** The JSON-RPC error code the client got. */
  errorCode?: number
  /** The JSON-RPC error message the client got (never a stack). */
  errorMessage?: string
  /** How a response cache answered (core's `cacheStatusKey`), where one did. */
  cache?: string
  /** `tools/call`'s arguments, only with the `arguments` option. */
  arguments?: unknown
}

/** The caps of an entry's fields. */
export interface Caps {
  readonly maxFieldLength: number
  readonly maxArgumentsBytes: number
}

/** `value` cut to `max` characters, with a marker saying how much was cut. */
export function cap(value: string, max: number): string {
  if (value.length <= max) return value
  return `${value.slice(0, max)}…[${value.length - max} more chars]`
}

/** The UTF-8 length of `text` when it is over `max` bytes (TextEncoder: it is on every runtime). */
function bytesOver(text: string, max: number): number | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most lines need no count.
  if (text.length * 3 <= max) return undefined
  const bytes = new TextEncoder().encode(text).length
  return bytes > max ? bytes : undefined
}

/**
 * The arguments as logged: a copy through JSON (what the client sent, not
 * what a layer below made of it), or a note of their size when over the cap.
 */
export function argumentsField(value: unknown, maxBytes: number): unknown {
  if (value === undefined) return undefined
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch {
    return '[arguments not serializable]'
  }
  if (json === undefined) return undefined
  const bytes = bytesOver(json, maxBytes)
  if (bytes !== undefined) return `[arguments omitted: ${bytes} bytes, over ${maxBytes}]`
  return JSON.parse(json)
}

/** The params field the method names its object by: the tool, the prompt or the resource. */
export function subjectOf(ctx: Context): ['tool' | 'prompt' | 'uri', string] | undefined {
  const params = ctx.params as { name?: unknown; uri?: unknown } | undefined
  switch (ctx.method) {
    case 'tools/call':
      return typeof params?.name === 'string' ? ['tool', params.name] : undefined
    case 'prompts/get':
      return typeof params?.name === 'string' ? ['prompt', params.name] : undefined
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      // Credentials in a URI (`postgres://admin:hunter2@db`) are not the log's to keep.
      return typeof params?.uri === 'string' ? ['uri', withoutUserinfo(params.uri)] : undefined
    default:
      return undefined
  }
}

/** What the client got, as a slot of `outcomes` and the JSON-RPC error where there is one. */
export interface Answer {
  readonly slot: number
  readonly code?: number
  readonly message?: string
}

/** The answer of a message that threw through here: what core's error boundary makes of it. */
export function thrownAnswer(thrown: unknown): Answer {
  if (McpxError.is(thrown)) {
    return { slot: outcomeOfCode(thrown.code), code: thrown.code, message: thrown.message }
  }
  return { slot: INTERNAL, code: ErrorCode.InternalError, message: 'Internal error' }
}

/** The answer of a message that threw nothing through here (as metrics' outcome, plus the error). */
export function answerOf(ctx: Context, cacheKey: Key<string>): Answer {
  const error = ctx.error
  if (error !== undefined) {
    return { slot: outcomeOfCode(error.code), code: error.code, message: error.message }
  }
  const status = ctx.get(cacheKey)
  if (status === 'hit' || status === 'stale') return { slot: CACHE_HIT }
  const result = ctx.result as { isError?: unknown } | undefined
  if (result === undefined) {
    // Core answers a request nothing answered so (packages/core/src/proxy.ts).
    return ctx.kind === 'request'
      ? {
          slot: NOT_FOUND,
          code: ErrorCode.MethodNotFound,
          message: `Method not found: ${ctx.method}`,
        }
      : { slot: OK }
  }
  return { slot: result.isError === true ? TOOL_ERROR : OK }
}

/** Who the client is: the principal's OAuth client id, else its subject. */
function clientOf(ctx: Context): string | undefined {
  const principal = ctx.get(principalKey)
  return principal === undefined ? undefined : (principal.clientId ?? principal.subject)
}

/** The entry of an answered message (its arguments are the caller's to add). */
export function entryOf(
  ctx: Context,
  answer: Answer,
  startedAt: number,
  ms: number,
  caps: Caps,
  cacheKey: Key<string> = cacheStatusKey,
): AccessLogEntry {
  const max = caps.maxFieldLength
  const entry: AccessLogEntry = {
    time: new Date(startedAt).toISOString(),
    method: cap(ctx.method, max),
    direction: ctx.direction,
    transport: cap(ctx.session.transport, max),
    outcome: outcomes[answer.slot] as Outcome,
    durationMs: Math.round(ms * 100) / 100,
  }
  const id = ctx.id
  if (id !== undefined) entry.id = typeof id === 'string' ? cap(id, max) : id
  if (ctx.session.id !== undefined) entry.session = cap(ctx.session.id, max)
  const client = clientOf(ctx)
  if (client !== undefined) entry.client = cap(client, max)
  const upstream =
    ctx.get(targetKey)?.upstream ?? (ctx.direction === 'toClient' ? ctx.get(sourceKey) : undefined)
  if (upstream !== undefined) entry.upstream = cap(upstream, max)
  const subject = subjectOf(ctx)
  if (subject !== undefined) entry[subject[0]] = cap(subject[1], max)
  if (answer.code !== undefined) entry.errorCode = answer.code
  if (answer.message !== undefined) entry.errorMessage = cap(answer.message, max)
  const cache = ctx.get(cacheKey)
  if (cache !== undefined) entry.cache = cap(cache, max)
  return entry
}
