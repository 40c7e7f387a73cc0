/** The Host/Origin allow-lists every HTTP front end (Streamable HTTP, legacy SSE, WebSocket) applies. */
export interface HostOriginOptions {
  /**
   * Host names (port ignored) the `Host` header may carry: DNS-rebinding
   * protection. `false` turns the check off (only behind a proxy that checks).
   * @defaultValue `['localhost', '127.0.0.1', '[::1]']`
   */
  allowedHosts?: readonly string[] | false
  /**
   * Origins (`scheme://host[:port]`) a browser may call from. Requests
   * without an `Origin` header are not browser requests and pass.
   * `false` turns the check off.
   * @defaultValue any origin whose host is a loopback name
   */
  allowedOrigins?: readonly string[] | false
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']

function hostnameOf(value: string): string {
  // "[::1]:3000" → "[::1]"; "localhost:3000" → "localhost"
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1).toLowerCase()
  const colon = value.indexOf(':')
  return (colon === -1 ? value : value.slice(0, colon)).toLowerCase()
}

/**
 * Compile the allow-lists once. The check returns why a request may not
 * proceed (answer 403 with it), or undefined when it may.
 */
export function hostOriginGuard(
  options: HostOriginOptions,
): (headers: Readonly<Record<string, string | string[] | undefined>>) => string | undefined {
  const hosts =
    options.allowedHosts === false
      ? undefined
      : new Set((options.allowedHosts ?? LOOPBACK).map((h) => h.toLowerCase()))
  const origins =
    options.allowedOrigins === false
      ? undefined
      : options.allowedOrigins
        ? new Set(options.allowedOrigins)
        : 'loopback'

  function originAllowed(origin: string): boolean {
    if (origins === undefined) return true
    if (origins !== 'loopback') return origins.has(origin)
    try {
      return LOOPBACK.includes(new URL(origin).hostname.toLowerCase())
    } catch {
      return false
    }
  }

  return (headers) => {
    if (hosts && !hosts.has(hostnameOf(typeof headers.host === 'string' ? headers.host : '')))
      return 'Forbidden: Host not allowed'
    const origin = headers.origin
    if (typeof origin === 'string' && !originAllowed(origin)) return 'Forbidden: Origin not allowed'
    return undefined
  }
}
