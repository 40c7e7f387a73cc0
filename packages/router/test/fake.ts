import {
  type ClientSession,
  type Context,
  createProxy,
  type Middleware,
  sessionKey,
  type Terminal,
  type ToolDefinition,
  targetKey,
  toolKey,
} from '@mcpx/core'
import { type Router, type RouterOptions, router } from '../src/index.js'

type Json = Record<string, unknown>

/** A fake upstream: answers a method with params, or throws. */
export type FakeUpstream = (method: string, params: Json) => unknown

/** A fake upstream listing `tools` (names), answering calls with `<upstream>:<tool>`. */
export function toolsUpstream(name: string, tools: readonly string[]): FakeUpstream {
  return (method, params) => {
    if (method === 'tools/list')
      return { tools: tools.map((tool) => ({ name: tool, inputSchema: { type: 'object' } })) }
    if (method === 'tools/call')
      return { content: [{ type: 'text', text: `${name}:${params.name}` }] }
    if (method === 'initialize')
      return {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name, version: '1' },
      }
    throw new Error(`${name} does not answer ${method}`)
  }
}

/**
 * A proxy with the router in front of a terminal that plays every upstream
 * from `upstreams` (by the target's name), recording each call.
 */
export function fakeGateway(
  upstreams: Readonly<Record<string, FakeUpstream>>,
  options: Omit<RouterOptions, 'log'>,
  before: readonly Middleware[] = [],
) {
  const calls: {
    upstream: string
    group: string | undefined
    method: string
    params: Json
    tool: ToolDefinition | undefined
  }[] = []
  const logs: string[] = []
  const terminal: Terminal = async (ctx: Context) => {
    const target = ctx.get(targetKey)
    if (!target) throw new Error(`no target for ${ctx.method}`)
    const params = (target.params ?? {}) as Json
    calls.push({
      upstream: target.upstream,
      group: target.group,
      method: target.method,
      params,
      tool: ctx.get(toolKey),
    })
    const upstream = upstreams[target.upstream]
    if (!upstream) throw new Error(`no upstream ${target.upstream}`)
    ctx.result = (await upstream(target.method, params)) as typeof ctx.result
  }
  const routing: Router = router({ ...options, log: (line) => logs.push(line) })
  const proxy = createProxy({ terminal, onError: () => {} }).use(...before, routing)
  let id = 0
  const request = async (method: string, params: Json = {}) => {
    const response = await proxy.handle({ jsonrpc: '2.0', id: ++id, method, params })
    if (response && 'error' in response)
      throw Object.assign(new Error(response.error.message), response.error)
    return (response as { result: Json }).result
  }
  return { proxy, request, calls, logs, router: routing }
}

/**
 * Middleware that puts every message on one fake downstream session (core's
 * `sessionKey`), whose server-initiated messages are recorded in `told`.
 */
export function asSession(id: string): { middleware: Middleware; told: string[] } {
  const told: string[] = []
  const session: ClientSession = {
    id,
    closed: false,
    toClient: async (message) => {
      told.push(message.method)
    },
    onClose: () => () => {},
  }
  const middleware: Middleware = async function asSession(ctx, next) {
    ctx.set(sessionKey, session)
    await next()
  }
  return { middleware, told }
}
