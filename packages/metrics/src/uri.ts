// What a log line or a span says of a client-chosen string: bounded, and a URI without its credentials.

/** The longest client-chosen string a span name or attribute carries (a megabyte tool name is not a name). */
export const MAX_ATTRIBUTE = 256

/** `value`, cut to `max` characters. */
export function capped(value: string, max = MAX_ATTRIBUTE): string {
  return value.length > max ? value.slice(0, max) : value
}

/** A URI without the userinfo of its authority (`postgres://admin:hunter2@db/x` → `postgres://db/x`). */
export function withoutUserinfo(uri: string): string {
  const scheme = uri.indexOf('://')
  if (scheme < 0) return uri
  const from = scheme + 3
  let end = uri.length
  for (const stop of ['/', '?', '#']) {
    const at = uri.indexOf(stop, from)
    if (at >= 0 && at < end) end = at
  }
  const at = uri.lastIndexOf('@', end - 1)
  return at >= from ? uri.slice(0, from) + uri.slice(at + 1) : uri
}
