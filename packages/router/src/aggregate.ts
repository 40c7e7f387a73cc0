import { accessKey, type Context, ErrorCode, McpxError, type Next } from '@mcpx/core'
import type { Catalog } from './catalog.js'
import type { CursorCodec } from './cursor.js'
import { type Item, type Merged, type MergeInput, merge } from './merged.js'
import type { Collision } from './options.js'

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
  /**
   * The cursors of the current generation, both ways: signing and checking
   * one costs about 100 µs of Web Crypto, a lookup nothing. Bounded by the
   * pages of one list; emptied when the list changes.
   */
  #issued = {
    generation: '',
    byOffset: new Map<number, string>(),
    byCursor: new Map<string, number>(),
  }
  #version = -1

  constructor(catalog: Catalog, input: MergeInput, cursors: CursorCodec, pageSize: number) {
    this.catalog = catalog
    this.#input = input
    this.#cursors = cursors
    this.#pageSize = pageSize
  }

  /** What the latest merge found exposed twice. */
  get collisions(): readonly Collision[] {
    return this.#merged?.collisions ?? []
  }

  /** The merged list, fetching what is stale first (synchronously when nothing is). */
  view(ctx: Context, next: Next): Merged | Promise<Merged> {
    if (this.catalog.ready) return this.#current()
    return this.catalog.refresh(ctx, next).then(() => this.#current())
  }

  /**
   * The item a client's name (or URI) stands for in `merged`, if some group
   * lists it; a name refused under `collisions: 'error'` throws.
   */
  itemOf(merged: Merged, name: string): Item | undefined {
    const item = merged.byName.get(name)
    if (item) return item
    const collision = merged.refused.get(name)
    if (collision) {
      const by = collision.upstreams.map((u) => `"${u}"`).join(' and ')
      throw new McpxError(
        ErrorCode.InvalidParams,
        `"${name}" is exposed by ${by}; the gateway serves neither (collisions: error)`,
      )
    }
    return undefined
  }

  #current(): Merged {
    if (!this.#merged || this.#version !== this.catalog.version) {
      this.#version = this.catalog.version
      this.#merged = merge(this.#input)
    }
    return this.#merged
  }

  /** Answer the list request `ctx`: the caller's page of the merged list. */
  async answer(ctx: Context, next: Next): Promise<Record<string, unknown>> {
    const { kind } = this.#input
    const merged = await this.view(ctx, next)
    const cursor = (ctx.params as { cursor?: unknown } | undefined)?.cursor
    const offset = cursor === undefined ? 0 : await this.#offsetOf(cursor, merged.generation)
    const access = ctx.get(accessKey)
    const visible = access
      ? merged.items.filter((item) => access(kind.access, item.exposed))
      : merged.items
    const end = this.#pageSize === 0 ? visible.length : offset + this.#pageSize
    const result: Record<string, unknown> = {
      [kind.field]: visible.slice(offset, end).map((item) => item.value),
    }
    if (end < visible.length) result.nextCursor = await this.#cursorAt(end, merged.generation)
    return result
  }

  async #cursorAt(offset: number, generation: string): Promise<string> {
    const issued = this.#issuedFor(generation)
    const known = issued.byOffset.get(offset)
    if (known !== undefined) return known
    const list = this.#input.kind.method
    const cursor = await this.#cursors.encode({ list, offset, generation })
    if (this.#issued === issued) {
      issued.byOffset.set(offset, cursor)
      issued.byCursor.set(cursor, offset)
    }
    return cursor
  }

  async #offsetOf(cursor: unknown, generation: string): Promise<number> {
    const known =
      typeof cursor === 'string' ? this.#issuedFor(generation).byCursor.get(cursor) : undefined
    if (known !== undefined) return known
    // Anything else is checked in full: forged, stale, or another replica's (same key).
    const state = await this.#cursors.decode(cursor as string, this.#input.kind.method, generation)
    return state.offset
  }

  #issuedFor(generation: string) {
    if (this.#issued.generation !== generation) {
      this.#issued = { generation, byOffset: new Map(), byCursor: new Map() }
    }
    return this.#issued
  }
}
