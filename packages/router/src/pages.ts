/** A JSON object as upstreams send them. */
export type Json = Record<string, unknown>

/** How far {@link collectPages} follows an upstream's pages. */
export interface PageLimits {
  /** Pages at most (a server that pages forever). */
  readonly pages: number
  /** Items at most; more are dropped. */
  readonly items: number
}

/**
 * Every item of a paginated MCP list (`field` of each page), page after
 * page by `nextCursor`, within `limits`. `fetchPage` answers one page, or
 * undefined to stop; items that `keep` refuses are skipped.
 */
export async function collectPages(
  fetchPage: (cursor: string | undefined) => Promise<Json | undefined>,
  field: string,
  keep: (item: unknown) => item is Json,
  limits: PageLimits,
): Promise<{ items: Json[]; truncated: boolean }> {
  const items: Json[] = []
  let cursor: string | undefined
  for (let page = 0; page < limits.pages; page++) {
    const result = await fetchPage(cursor)
    const list = result?.[field]
    if (!Array.isArray(list)) break
    for (const item of list) if (keep(item)) items.push(item)
    const nextCursor = result?.nextCursor
    if (typeof nextCursor !== 'string' || items.length >= limits.items) break
    cursor = nextCursor
  }
  const truncated = items.length > limits.items
  if (truncated) items.length = limits.items
  return { items, truncated }
}
