import { ErrorCode, McpxError } from '@mcpx/core'
import { fail } from './validate.js'

/** Tools whose `tools/call` may run twice without harm: names, or a predicate of the tool and its upstream. */
export type IdempotentTools = readonly string[] | ((tool: string, upstream: string) => boolean)

/**
 * Whether `error` proves the request never left the gateway, so that
 * sending it again (a retry, a backup) cannot run its work twice: a
 * breaker's `CircuitOpenError` (recognised by name, as bundled copies of
 * this package share no class; an upstream's error is never so named),
 * -32011 `Overloaded` (by its definition the gateway's own limits: the
 * pool's "no free connection", a bulkhead), or an `McpxError` with
 * `data.sent === false`.
 */
export function neverSent(error: unknown): boolean {
  if (!McpxError.is(error)) return false
  if (error.name === 'CircuitOpenError' || error.code === ErrorCode.Overloaded) return true
  const data = error.data
  return typeof data === 'object' && data !== null && (data as { sent?: unknown }).sent === false
}

/** `idempotentTools` checked (a TypeError naming it) as a predicate; none: nothing is idempotent. */
export function idempotentOf(
  value: IdempotentTools | undefined,
): (tool: string, upstream: string) => boolean {
  if (value === undefined) return () => false
  if (typeof value === 'function') return value
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name === '')) {
    fail('idempotentTools', 'an array of tool names or a function (tool, upstream) => boolean')
  }
  const names = new Set(value)
  return (tool) => names.has(tool)
}
