import { accessKey, type Context, ErrorCode, McpxError, type Next } from '@mcpx/core'
import type { Catalog } from './catalog.js'
import type { CursorCodec } from './cursor.js'
import { type Item, type Merged, type MergeInput, merge } from './merged.js'

/**
 * One aggregated list: the catalog's items merged (rebuilt only when a
 * group's copy changed), filtered by the caller's access and paged with
 * signed cursors.
 */
export class Aggregate {
  readonly catalog: Catalog
  readonly #input: MergeInput
  readonly #cursors: CursorCodec
  readonly #pageSize: number
  #merged: Merged | undefined
  #version = -1

  constructor(catalog: Catalog, input: MergeInput, cursors: CursorCodec, pageSize: number) {
    this.catalog = catalog
    this.#input = input
    this.#cursors = cursors
    this.#pageSize = pageSize
  }

  /** The merged list, fetching what is stale first. */
  async view(ctx: Context, next: Next): Promise<Merged> {
    if (!this.catalog.ready) await this.catalog.refresh(ctx, next)
    if (!this.#merged || this.#version !== this.catalog.version) {
      this.#version = this.catalog.version
      this.#merged = merge(this.#input)
    }
    return this.#merged
  }

  /** The item a client's name (or URI) stands for, when some group lists it and the caller may see it. */
  async lookup(name: string, ctx: Context, next: Next): Promise<Item | undefined> {
    const merged = await this.view(ctx, next)
    const collision = merged.refused.get(name)
    if (collision) {
      throw new McpxError(
        ErrorCode.InvalidParams,
        `"${name}" is exposed by ${collision.upstreams.map((u) => `"${u}"`).join(' and ')}; the gateway serves neither (collisions: error)`,
      )
    }
    return merged.byName.get(name)
  }

  /** Answer the list request `ctx`: the caller's page of the merged list. */
  async answer(ctx: Context, next: Next): Promise<Record<string, unknown>> {
    const { kind } = this.#input
    const merged = await this.view(ctx, next)
    const cursor = (ctx.params as { cursor?: unknown } | undefined)?.cursor
    const offset =
      cursor === undefined
        ? 0
        : (await this.#cursors.decode(cursor as string, kind.method, merged.generation)).offset
    const access = ctx.get(accessKey)
    const visible = access
      ? merged.items.filter((item) => access(kind.access, item.exposed))
      : merged.items
    const end = this.#pageSize === 0 ? visible.length : offset + this.#pageSize
    const result: Record<string, unknown> = {
      [kind.field]: visible.slice(offset, end).map((item) => item.value),
    }
    if (end < visible.length) {
      result.nextCursor = await this.#cursors.encode({
        list: kind.method,
        offset: end,
        generation: merged.generation,
      })
    }
    return result
  }
}
