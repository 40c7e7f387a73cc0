/**
 * The one place an upstream URL is checked and its credentials taken out,
 * for `streamableHttp()`, `sse()` and `websocket()`. Web APIs only: this
 * code ships in the runtime-neutral root entry.
 */

/** An upstream endpoint, checked, with its userinfo turned into a header value. */
export interface UpstreamUrl {
  /** The endpoint without userinfo or fragment (`fetch` refuses URLs with credentials). */
  url: URL
  /** Origin and path: no userinfo, no query (which may hold an API key). For logs. */
  describe: string
  /** `Basic …` from the URL's userinfo (RFC 7617), when it had any. */
  authorization: string | undefined
}

/**
 * Check an upstream URL when its connector is made: it parses and has one
 * of `protocols`. Userinfo (`https://user:secret@host/mcp`) becomes HTTP
 * Basic authorization, as browsers and curl do, and never appears in
 * `describe`, logs or errors.
 */
export function upstreamUrl(
  value: string | URL | undefined,
  factory: string,
  protocols: readonly string[],
): UpstreamUrl {
  const fail = (what: string) => new TypeError(`[@mcpx/transports] ${factory}(): ${what}`)
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw fail(`url must be an absolute ${protocols.join(' or ')} URL`)
  }
  if (!protocols.includes(url.protocol)) {
    throw fail(`url must be an absolute ${protocols.join(' or ')} URL`)
  }
  let authorization: string | undefined
  if (url.username !== '' || url.password !== '') {
    let pair: string
    try {
      pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
    } catch {
      throw fail('the credentials in the url are not valid percent-encoding')
    }
    authorization = `Basic ${base64(new TextEncoder().encode(pair))}`
  }
  url.username = ''
  url.password = ''
  url.hash = ''
  return { url, describe: `${url.origin}${url.pathname}`, authorization }
}

/**
 * `headers` plus the URL's `authorization`, unless the caller set one
 * (in any letter case): a header given explicitly wins, since it is the
 * more specific intent and a header function can rotate it.
 */
export function withAuthorization(
  headers: Readonly<Record<string, string>>,
  authorization: string | undefined,
): Record<string, string> {
  const result = { ...headers }
  if (authorization === undefined) return result
  for (const name in result) if (name.toLowerCase() === 'authorization') return result
  result.authorization = authorization
  return result
}

function base64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}
