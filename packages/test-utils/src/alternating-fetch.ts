/** One POST a client sent through {@link alternatingFetch}: the replica it went to, and its body. */
export interface SentPost {
  readonly to: string
  readonly body: string
}

/**
 * A `fetch` for the SDK's `StreamableHTTPClientTransport` that sends each
 * method's requests to `a` and `b` in turn (POSTs start on `a`, so the
 * session is opened there; GET and DELETE start on `b`), keeping each
 * request's path and query. `sent` lists the POSTs in order, for tests of
 * gateway replicas behind a load balancer that does not stick sessions.
 */
export function alternatingFetch(a: string, b: string) {
  const sent: SentPost[] = []
  const counts: Record<string, number> = { POST: 0, GET: 1, DELETE: 1 }
  const alternate = (input: string | URL | Request, init?: RequestInit) => {
    const method = init?.method ?? 'GET'
    const n = counts[method] ?? 0
    counts[method] = n + 1
    const to = n % 2 === 0 ? a : b
    const url = new URL(String(input instanceof Request ? input.url : input))
    if (method === 'POST') sent.push({ to, body: String(init?.body) })
    return fetch(new URL(url.pathname + url.search, new URL(to).origin), init)
  }
  return { fetch: alternate, sent }
}
