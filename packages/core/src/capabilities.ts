/**
 * The union of several servers' capabilities (MCP Lifecycle §Capability
 * Negotiation): a capability is on when any of them has it, nested flags
 * (`tools.listChanged`, `resources.subscribe`) likewise. The inputs are not
 * changed; nested objects are copied.
 *
 * @example
 * ```ts
 * mergeCapabilities([{ tools: {} }, { tools: { listChanged: true }, logging: {} }])
 * // { tools: { listChanged: true }, logging: {} }
 * ```
 */
export function mergeCapabilities(
  capabilities: readonly Readonly<Record<string, unknown>>[],
): Record<string, unknown> {
  const merged: Record<string, unknown> = {}
  for (const one of capabilities) mergeInto(merged, one)
  return merged
}

/** Keys that would reach an object's prototype: capabilities come from upstreams, untrusted. */
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype'])

function mergeInto(into: Record<string, unknown>, from: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(from)) {
    if (UNSAFE.has(key)) continue
    const existing = Object.hasOwn(into, key) ? into[key] : undefined
    if (isPlainObject(value) && isPlainObject(existing)) mergeInto(existing, value)
    else if (isPlainObject(value)) into[key] = structuredClone(value)
    else if (existing === undefined || value === true) into[key] = value
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
