import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'

type Role = 'admin' | 'operator' | 'viewer'
interface User {
  readonly id: string
  readonly name: string
  readonly role: Role
}

/** A fixed user list, so that every answer is predictable. */
const USERS: readonly User[] = [
  { id: 'u1', name: 'Ada', role: 'admin' },
  { id: 'u2', name: 'Grace', role: 'operator' },
  { id: 'u3', name: 'Linus', role: 'viewer' },
  { id: 'u4', name: 'Margaret', role: 'operator' },
  { id: 'u5', name: 'Ken', role: 'viewer' },
]
const ROLES = ['admin', 'operator', 'viewer'] as const

/** Most flags one server holds: a client may set any name, so the store is bounded. */
export const MAX_FLAGS = 32

const json = (value: unknown) => JSON.stringify(value, null, 2)
const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] })

/**
 * The `admin` example upstream: tools `status`, `list_users` and `set_flag`
 * (feature flags in a store of at most {@link MAX_FLAGS}, one per server, so
 * per connection), the resource `admin://flags` and the prompt `audit`.
 */
export function createAdminServer(): McpServer {
  const server = new McpServer({ name: 'mcpx-example-admin', version: '1.0.0' })
  const flags = new Map<string, boolean>([['maintenance', false]])
  const started = Date.now()

  server.registerTool(
    'status',
    { description: 'The server: uptime, user and flag counts', inputSchema: {} },
    async () =>
      text(
        json({
          ok: true,
          uptimeSeconds: Math.floor((Date.now() - started) / 1000),
          users: USERS.length,
          flags: flags.size,
          maintenance: flags.get('maintenance') ?? false,
        }),
      ),
  )

  server.registerTool(
    'list_users',
    {
      description: 'The users, optionally of one role, at most `limit` of them, as JSON',
      inputSchema: {
        role: z.enum(ROLES).optional(),
        limit: z.number().int().min(1).max(100).optional(),
      },
    },
    async ({ role, limit }) =>
      text(json(USERS.filter((user) => role === undefined || user.role === role).slice(0, limit))),
  )

  server.registerTool(
    'set_flag',
    {
      description: `Set a feature flag; answers its previous value (at most ${MAX_FLAGS} flags)`,
      inputSchema: {
        name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, _ and -'),
        value: z.boolean(),
      },
    },
    async ({ name, value }) => {
      const previous = flags.get(name)
      if (previous === undefined && flags.size >= MAX_FLAGS) {
        return { ...text(`no room for flag ${name}: ${MAX_FLAGS} flags are set`), isError: true }
      }
      flags.set(name, value)
      return text(json({ name, value, previous: previous ?? null }))
    },
  )

  server.registerResource(
    'flags',
    'admin://flags',
    { description: 'Every feature flag and its value', mimeType: 'application/json' },
    async (uri) => ({
      contents: [
        { uri: uri.href, mimeType: 'application/json', text: json(Object.fromEntries(flags)) },
      ],
    }),
  )

  server.registerPrompt(
    'audit',
    {
      description: 'Ask for a review of the users of one role',
      argsSchema: { role: z.enum(ROLES) },
    },
    ({ role }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: `Review these ${role} accounts and say which need attention:\n${json(
              USERS.filter((user) => user.role === role),
            )}`,
          },
        },
      ],
    }),
  )
  return server
}
