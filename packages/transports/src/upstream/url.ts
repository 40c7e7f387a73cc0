/**
 * Check an upstream URL when its connector is made: it parses, has one of
 * `protocols`, and carries no credentials (they belong in `headers`, where
 * they are never shown in `describe` or in errors).
 */
export function upstreamUrl(
  value: string | URL | undefined,
  factory: string,
  protocols: readonly string[],
): URL {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new TypeError(`[@mcpx/transports] ${factory}() needs a valid url`)
  }
  if (!protocols.includes(url.protocol)) {
    throw new TypeError(
      `[@mcpx/transports] ${factory}(): the url must be ${protocols.join(' or ')}`,
    )
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(
      `[@mcpx/transports] ${factory}(): put credentials in headers, not in the url`,
    )
  }
  return url
}
