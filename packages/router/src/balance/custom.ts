import type { Context } from '@mcpx/core'
import type { Balancer, Replica } from './balancer.js'

/** Your own replica choice, as `{ type: 'custom', pick }` takes it. */
export type CustomPick = (healthy: readonly Replica[], ctx: Context) => Replica

/**
 * A balancer around your own `pick`, checked on every call: a result that
 * is not one of `healthy` (by identity) throws an Error naming the group,
 * since sending to an unhealthy or unknown replica would be a silent
 * misroute. The error is a server fault; the error boundary turns it into a
 * generic internal error for the client.
 *
 * @param pick - Returns one of `healthy`.
 * @param group - The group's name, for the errors.
 * @example
 * ```ts
 * const balancer = custom(
 *   (healthy, ctx) => healthy.find((r) => r.name.endsWith(ctx.session.transport)) ?? healthy[0],
 *   'search',
 * )
 * ```
 */
export function custom(pick: CustomPick, group: string): Balancer {
  if (typeof pick !== 'function') {
    throw new TypeError(
      `[@mcpx/router] group "${group}": a custom strategy needs a pick function, got ${typeof pick}`,
    )
  }
  return {
    pick(healthy, ctx) {
      const replica = pick(healthy, ctx)
      if (!healthy.includes(replica)) {
        const name = (replica as Replica | undefined)?.name
        throw new Error(
          `[@mcpx/router] group "${group}": the custom pick returned ` +
            `${typeof name === 'string' ? `"${name}"` : String(replica)}, which is not one of ` +
            `the healthy replicas (${healthy.map((r) => r.name).join(', ')})`,
        )
      }
      return replica
    },
  }
}
