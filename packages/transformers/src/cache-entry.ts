// What makes a result an entry: measured by its JSON, kept as a deeply frozen
// copy of its own, so that no holder of the original can change what later
// hits are served, and no hit can change what the next one gets.

/** The UTF-8 length of `text`, without a `TextEncoder` round trip, on any runtime. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

/** Freeze a JSON value and everything in it (it came from `JSON.parse`: a tree, no cycles). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  for (const member of Object.values(value)) deepFreeze(member)
  return Object.freeze(value)
}

/** A frozen copy of a JSON result, or the result itself when it is not JSON (then it is shared as is). */
export function frozenCopy(value: unknown): unknown {
  try {
    const json = JSON.stringify(value)
    return json === undefined ? value : deepFreeze(JSON.parse(json))
  } catch {
    return value
  }
}

/** Whether a result may be cached at all: an object, and not a tool's error (`isError`). */
export function cacheable(result: unknown): result is Record<string, unknown> {
  return (
    typeof result === 'object' &&
    result !== null &&
    !Array.isArray(result) &&
    (result as { isError?: unknown }).isError !== true
  )
}
