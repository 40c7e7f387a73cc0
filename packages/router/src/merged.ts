import type { Group } from './group.js'
import { hash53 } from './hash.js'
import type { ListKind } from './lists.js'
import type { Namer } from './namespace.js'
import type { Collision, CollisionPolicy } from './options.js'
import type { RouteTable } from './routes.js'

/** One listed item: what the client sees, and where it comes from. */
export interface Item {
  /** The name (or URI) the client sees. */
  readonly exposed: string
  /** The name (or URI) its upstream knows. */
  readonly original: string
  readonly group: Group
  /** The item as the client gets it (the upstream's, with the exposed name). */
  readonly value: Readonly<Record<string, unknown>>
  /** Its place in its upstream's list. */
  readonly position: number
}

/** One list merged across groups: stable order, an index by exposed name, the collisions. */
export interface Merged {
  readonly items: readonly Item[]
  readonly byName: ReadonlyMap<string, Item>
  /** Names that collided under `collisions: 'error'`: lists leave them out, calls get an error. */
  readonly refused: ReadonlyMap<string, Collision>
  /** Changes whenever the exposed list does; the same on every replica for the same lists. */
  readonly generation: string
  /** What this merge found exposed twice (route-shadowed items included). */
  readonly collisions: readonly Collision[]
}

/** What merging needs. */
export interface MergeInput {
  readonly kind: ListKind
  readonly groups: readonly Group[]
  readonly itemsOf: (group: Group) => readonly Record<string, unknown>[] | undefined
  readonly namer: Namer
  readonly routes: RouteTable
  readonly policy: CollisionPolicy
  readonly report: (collision: Collision, why: string) => void
}

/**
 * Merge each group's items into the list a client sees. Items keep their
 * upstream's order, groups their declaration order. An item is listed only
 * where a call of its exposed name would go: a route that sends the name to
 * another group shadows it, and of two groups exposing one name the one with
 * the higher priority (then the earlier) serves it — both reported, never
 * silent. Under the `'error'` policy a collided name is served by neither.
 */
export function merge(input: MergeInput): Merged {
  const { kind, groups, namer, routes } = input
  const collisions: Collision[] = []
  const report = (collision: Collision, why: string) => {
    collisions.push(collision)
    input.report(collision, why)
  }
  const claims = new Map<string, Item[]>()
  const ordered = [...groups].sort((a, b) => b.priority - a.priority || a.index - b.index)
  for (const group of ordered) {
    for (const [position, value] of (input.itemsOf(group) ?? []).entries()) {
      const original = value[kind.key] as string
      const exposed = kind.namespaced ? namer.expose(group.prefix, original) : original
      const routed = routes[kind.route]?.match(exposed, false)
      if (routed && routed !== group) {
        report(
          { kind: kind.access, name: exposed, upstreams: [routed.name, group.name] },
          `a route sends it to "${routed.name}"`,
        )
        continue
      }
      const item = { exposed, original, group, position, value: withName(value, kind.key, exposed) }
      const list = claims.get(exposed)
      if (list) list.push(item)
      else claims.set(exposed, [item])
    }
  }
  const byName = new Map<string, Item>()
  const refused = new Map<string, Collision>()
  for (const [name, list] of claims) {
    if (list.length > 1) {
      const collision = { kind: kind.access, name, upstreams: list.map((item) => item.group.name) }
      if (input.policy === 'error') {
        refused.set(name, collision)
        report(collision, 'served by neither (collisions: error)')
        continue
      }
      report(collision, `"${list[0]!.group.name}" serves it (collisions: first)`)
    }
    byName.set(name, list[0]!)
  }
  // Declaration order of groups, then each upstream's own order.
  const items = [...byName.values()].sort(
    (a, b) => a.group.index - b.group.index || a.position - b.position,
  )
  return { items, byName, refused, generation: generationOf(items), collisions }
}

function withName(value: Record<string, unknown>, key: string, exposed: string) {
  return value[key] === exposed ? value : { ...value, [key]: exposed }
}

function generationOf(items: readonly Item[]): string {
  let h = 0
  for (const item of items) h = hash53(item.exposed, h % 0x7fffffff)
  return `${items.length}.${h.toString(36)}`
}
