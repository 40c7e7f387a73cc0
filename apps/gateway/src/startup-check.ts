import type { McpProxy, Message } from '@mcpx/core'
import { LATEST_PROTOCOL_VERSION } from '@mcpx/transports'
import { Session } from '@mcpx/transports/protocol'
import { GATEWAY_PRINCIPAL } from './auth.js'

/** What the check lists: each list the router merges, so that each merge reports. */
const LISTS = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']

/**
 * Before serving: one in-process session initializes and lists every list
 * once, so that the router logs missing upstreams and name collisions at
 * start-up rather than at the first client's first list (and the catalogs
 * are warm when it comes). The session then ends, closing any per-session
 * connections it opened. Never fatal: the outcome is in the router's log,
 * and a step that takes longer than `timeout` ms is cancelled
 * (`notifications/cancelled`, which reaches the upstream). With auth on,
 * its messages carry the gateway's own principal (every scope), so that it
 * sees every list whole. When `initialize` fails (every upstream failed,
 * each logged by the router), nothing is listed.
 */
export async function startupCheck(proxy: McpProxy, timeout = 15_000): Promise<void> {
  const waiting = new Map<number, (failed: boolean) => void>()
  const session = new Session({
    proxy,
    info: { id: undefined, transport: 'in-process' },
    send(message: Message) {
      const id = (message as { id?: unknown }).id
      if (typeof id === 'number') waiting.get(id)?.('error' in message)
    },
    onError: () => {},
  })
  const trusted = { principal: GATEWAY_PRINCIPAL }
  let id = 0
  const ask = (method: string, params: Record<string, unknown>) =>
    /** Resolves with whether the step failed (an error answer, or no answer in time). */
    new Promise<boolean>((resolve) => {
      const mine = ++id
      // A step that takes too long is cancelled, not merely abandoned: its upstream work stops too.
      const timer = setTimeout(() => {
        waiting.delete(mine)
        const reason = 'mcpx-gateway start-up check timed out'
        const cancel = { requestId: mine, reason }
        session.receive(
          { jsonrpc: '2.0', method: 'notifications/cancelled', params: cancel },
          trusted,
        )
        resolve(true)
      }, timeout)
      // Kept ref'd: before the front end listens nothing else may hold the event loop (a
      // pool waits for a restart on unref'd timers), and the check must end for it to listen.
      waiting.set(mine, (failed) => {
        clearTimeout(timer)
        waiting.delete(mine)
        resolve(failed)
      })
      session.receive({ jsonrpc: '2.0', id: mine, method, params }, trusted)
    })
  try {
    const failed = await ask('initialize', {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'mcpx-gateway start-up check', version: '1' },
    })
    // Every upstream failed (the router logged each, and why): listing would only start each one
    // again to fail the same way, logging it four more times.
    if (failed) return
    session.receive({ jsonrpc: '2.0', method: 'notifications/initialized' }, trusted)
    await Promise.all(LISTS.map((method) => ask(method, {})))
  } finally {
    session.close()
  }
}
