// A minimal stateful stdio MCP server without the SDK: newline-delimited JSON-RPC
// (MCP Transports §stdio), tools `echo`, `pid`, `stateful_set` and `stateful_get`.
// It boots in a fraction of the SDK fixtures' time, for tests that spawn hundreds
// of children (a per-session pool's 200 sessions). It exits when stdin ends.
import { createInterface } from 'node:readline'

const VERSIONS = new Set(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'])
const MAX_KEYS = 1_000
const state = new Map<string, string>()
const str = { type: 'string' } as const
const TOOLS = [
  { name: 'echo', inputSchema: { type: 'object', properties: { text: str } } },
  { name: 'pid', inputSchema: { type: 'object' } },
  { name: 'stateful_set', inputSchema: { type: 'object', properties: { key: str, value: str } } },
  { name: 'stateful_get', inputSchema: { type: 'object', properties: { key: str } } },
]

const text = (value: string) => ({ content: [{ type: 'text', text: value }] })

function call(name: unknown, args: Record<string, unknown>): unknown {
  const key = String(args.key ?? '')
  switch (name) {
    case 'echo':
      return text(String(args.text ?? ''))
    case 'pid':
      return text(String(process.pid))
    case 'stateful_set':
      if (!state.has(key) && state.size >= MAX_KEYS)
        return { ...text('too many keys'), isError: true }
      state.set(key, String(args.value ?? ''))
      return text('ok')
    case 'stateful_get':
      return text(state.get(key) ?? '')
    default:
      return undefined
  }
}

function answer(message: Record<string, any>): unknown {
  const { id, method, params = {} } = message
  if (id === undefined || typeof method !== 'string') return undefined
  const ok = (result: unknown) => ({ jsonrpc: '2.0', id, result })
  const fail = (code: number, text: string) => ({
    jsonrpc: '2.0',
    id,
    error: { code, message: text },
  })
  switch (method) {
    case 'initialize':
      return ok({
        protocolVersion: VERSIONS.has(params.protocolVersion)
          ? params.protocolVersion
          : '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'stateful-stdio', version: '0.0.0' },
      })
    case 'ping':
      return ok({})
    case 'tools/list':
      return ok({ tools: TOOLS })
    case 'tools/call': {
      const result = call(params.name, params.arguments ?? {})
      return result === undefined ? fail(-32602, `Unknown tool: ${params.name}`) : ok(result)
    }
    default:
      return fail(-32601, `Method not found: ${method}`)
  }
}

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  let message: unknown
  try {
    message = JSON.parse(line)
  } catch {
    return
  }
  if (message === null || typeof message !== 'object') return
  const reply = answer(message as Record<string, any>)
  if (reply !== undefined) process.stdout.write(`${JSON.stringify(reply)}\n`)
})
lines.on('close', () => process.exit(0))
