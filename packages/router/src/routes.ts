import type { Group } from './group.js'
import { createMatcher, type Matcher, type MatcherEntry } from './match/matcher.js'
import type { Patterns, Route } from './options.js'

/** What a route matches on. */
export type RouteKind = 'tools' | 'resources' | 'prompts' | 'methods'

const KINDS: readonly RouteKind[] = ['tools', 'resources', 'prompts', 'methods']

/** The routes compiled once: one matcher per kind, each answering with a group. */
export type RouteTable = Readonly<Record<RouteKind, Matcher<Group> | undefined>>

/** Compile `routes` against `groups`; a route naming no group, or matching nothing, is a TypeError. */
export function compileRoutes(
  routes: readonly Route[],
  groups: ReadonlyMap<string, Group>,
  memo: number,
): RouteTable {
  if (!Array.isArray(routes)) throw new TypeError('[@mcpx/router] routes must be an array')
  const entries: Record<RouteKind, MatcherEntry<Group>[]> = {
    tools: [],
    resources: [],
    prompts: [],
    methods: [],
  }
  routes.forEach((route, i) => {
    const group = groups.get(route?.to)
    if (!group)
      throw new TypeError(`[@mcpx/router] route #${i} goes to no upstream entry: "${route?.to}"`)
    const kinds = KINDS.filter((kind) => route[kind] !== undefined)
    if (kinds.length === 0) {
      throw new TypeError(`[@mcpx/router] route #${i} needs tools, resources, prompts or methods`)
    }
    for (const kind of kinds) {
      for (const pattern of patternsOf(route[kind]!, i)) {
        entries[kind].push({ pattern, value: group, priority: route.priority ?? 0 })
      }
    }
  })
  const table = {} as Record<RouteKind, Matcher<Group> | undefined>
  for (const kind of KINDS) {
    table[kind] = entries[kind].length > 0 ? createMatcher(entries[kind], { memo }) : undefined
  }
  return table
}

function patternsOf(patterns: Patterns, i: number): readonly string[] {
  const list = typeof patterns === 'string' ? [patterns] : patterns
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(
      `[@mcpx/router] route #${i}: patterns must be a string or a non-empty array`,
    )
  }
  return list
}
