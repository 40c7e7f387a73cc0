import { z } from 'zod/v4'

// Building blocks of the config's zod schema (config-schema.ts). The schema describes the
// document: shapes, types, enums and ranges. What depends on several keys (a route to an unknown
// upstream, `min` above `max`) stays with checkConfig, which also gives the precise messages.

/** Node's timers take at most 2^31 − 1 ms. */
export const MAX_TIMER = 2_147_483_647

/**
 * Any integer, as checkConfig's `number(…, { integer: true })` takes it (`Number.isInteger`,
 * not only safe integers): `multipleOf: 1`, written `type: integer` in the JSON Schema.
 */
export const whole = () => z.number().multipleOf(1)

/** A safe integer, as the packages' own option checks take it. */
export const int = () => z.number().int()

/** Whole milliseconds from `min` that a Node timer can wait. */
export const ms = (min = 1) => int().min(min).max(MAX_TIMER)

/** A non-empty string. */
export const text = () => z.string().min(1)

/** An array of non-empty strings. */
export const texts = () => z.array(text())

/** One non-empty string or a non-empty array of them. */
export const oneOrMore = () => z.union([text(), texts().min(1)])

/** One glob (core's syntax: `*`, `**`, `?`, `\`) or a non-empty array of them. */
export const globs = () => z.union([text(), texts().min(1)])

/** Upstream names and namespace prefixes. */
/** A store's own Redis, in place of the top-level `redis` section. */
export const storeRedisUrl = () =>
  opt(
    text(),
    'a redis:// or rediss:// URL of this store’s own (never shown: it may hold a password); default the top-level redis',
  )

export const NAME = /^[A-Za-z0-9_.-]{1,32}$/
/** RFC 9110 §5.1 field names. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** RFC 6749 §3.3 scope tokens. */
export const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/
/** Rate-limit and class names. */
export const LIMIT_NAME = /^[A-Za-z0-9_.-]{1,64}$/

export const headerName = () => z.string().regex(HEADER_NAME)
export const scopes = () => z.array(z.string().regex(SCOPE))

/** A secret: a non-empty string, never shown in messages. */
export const secret = (what: string) =>
  text().describe(`${what} (a secret: never shown in messages; use \${VAR})`)

/** `schema`, optional, with its description (what it does; a default said in words when it has no value). */
export function opt<T extends z.ZodType>(schema: T, description: string) {
  return schema.optional().describe(description)
}

/** `schema`, optional, with its description and the default the gateway or package applies. */
export function dflt<T extends z.ZodType>(schema: T, value: unknown, description: string) {
  return schema.optional().describe(description).meta({ default: value })
}

/** Environment variable names. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
