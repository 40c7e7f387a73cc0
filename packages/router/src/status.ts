import type { Catalog } from './catalog.js'
import type { Group } from './group.js'

/** What the router's catalogs hold for one entry of `upstreams`: see {@link Router.upstreams}. */
export interface UpstreamStatus {
  /** The entry's name (its key in `upstreams`). */
  readonly name: string
  /**
   * How many tools it listed when last asked, before namespacing, routes
   * and collisions place them; undefined when never fetched, or missing.
   * The same for the three counts below.
   */
  readonly tools: number | undefined
  readonly prompts: number | undefined
  readonly resources: number | undefined
  readonly resourceTemplates: number | undefined
  /**
   * While the entry is missing (its latest `initialize` failed and nothing
   * has answered since, or a list it has no copy of failed): the message of
   * its latest failure, as a client would get it (no stack, no cause).
   * Undefined otherwise.
   */
  readonly missing: string | undefined
}

/** The catalogs of the four lists, by their result field. */
export interface Catalogs {
  readonly tools: Catalog
  readonly prompts: Catalog
  readonly resources: Catalog
  readonly resourceTemplates: Catalog
}

/** What `catalogs` hold for each group, computed now. */
export function statusOf(groups: readonly Group[], catalogs: Catalogs): UpstreamStatus[] {
  const all = [catalogs.tools, catalogs.prompts, catalogs.resources, catalogs.resourceTemplates]
  return groups.map((group) => {
    let latest = group.initializeFailure
    if (latest !== undefined && latest.at < group.answeredAt) latest = undefined
    for (const catalog of all) {
      const failure = catalog.missingBecause(group)
      if (failure !== undefined && (latest === undefined || failure.at > latest.at))
        latest = failure
    }
    return {
      name: group.name,
      tools: catalogs.tools.itemsOf(group)?.length,
      prompts: catalogs.prompts.itemsOf(group)?.length,
      resources: catalogs.resources.itemsOf(group)?.length,
      resourceTemplates: catalogs.resourceTemplates.itemsOf(group)?.length,
      missing: latest?.message,
    }
  })
}
