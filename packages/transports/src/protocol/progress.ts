/** JSON-RPC params, as the progress helpers see them. */
type Params = Record<string, unknown> | undefined

/** The `_meta.progressToken` a request carries, if any (MCP progress §). */
export function progressTokenOf(params: Params): unknown {
  const meta = params?._meta
  return typeof meta === 'object' && meta !== null
    ? (meta as Record<string, unknown>).progressToken
    : undefined
}

/** MCP progress §: tokens must be unique across active requests, so each hop uses its own. */
export function withProgressToken(params: Params, token: number): Params {
  return {
    ...params,
    _meta: { ...(params?._meta as Record<string, unknown>), progressToken: token },
  }
}
