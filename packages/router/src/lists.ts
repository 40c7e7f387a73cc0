import type { AccessKind } from '@mcpx/core'
import type { RouteKind } from './routes.js'

/** One of the four list methods the router aggregates, and how its items are named. */
export interface ListKind {
  /** `tools/list`, … */
  readonly method: string
  /** The result's array: `tools`, `prompts`, `resources`, `resourceTemplates`. */
  readonly field: string
  /** The item's name field: `name`, `uri`, `uriTemplate`. */
  readonly key: string
  /** What the access predicate is asked. */
  readonly access: AccessKind
  /** Which routes place its items. */
  readonly route: RouteKind
  /** Whether the namespace prefix applies (tool and prompt names; never URIs). */
  readonly namespaced: boolean
}

export const TOOLS: ListKind = {
  method: 'tools/list',
  field: 'tools',
  key: 'name',
  access: 'tool',
  route: 'tools',
  namespaced: true,
}
export const PROMPTS: ListKind = {
  method: 'prompts/list',
  field: 'prompts',
  key: 'name',
  access: 'prompt',
  route: 'prompts',
  namespaced: true,
}
export const RESOURCES: ListKind = {
  method: 'resources/list',
  field: 'resources',
  key: 'uri',
  access: 'resource',
  route: 'resources',
  namespaced: false,
}
export const TEMPLATES: ListKind = {
  method: 'resources/templates/list',
  field: 'resourceTemplates',
  key: 'uriTemplate',
  access: 'resourceTemplate',
  route: 'resources',
  namespaced: false,
}

export const LIST_KINDS: readonly ListKind[] = [TOOLS, PROMPTS, RESOURCES, TEMPLATES]

/** The lists a `notifications/…/list_changed` invalidates (MCP §List Changed Notification). */
export const CHANGED: ReadonlyMap<string, readonly ListKind[]> = new Map([
  ['notifications/tools/list_changed', [TOOLS]],
  ['notifications/prompts/list_changed', [PROMPTS]],
  ['notifications/resources/list_changed', [RESOURCES, TEMPLATES]],
])

/** The notification that tells a client to list `kind` again. */
export function changedOf(kind: ListKind): string {
  return kind === TEMPLATES
    ? 'notifications/resources/list_changed'
    : `notifications/${kind.method.replace('/list', '')}/list_changed`
}
