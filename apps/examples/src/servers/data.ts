import { completable } from '@modelcontextprotocol/sdk/server/completable.js'
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'

type Row = Record<string, string | number>

/** A small fixed data set, so that every answer is predictable. */
const TABLES: Readonly<Record<string, readonly Row[]>> = {
  planets: [
    { name: 'Mercury', moons: 0, au: 0.39 },
    { name: 'Venus', moons: 0, au: 0.72 },
    { name: 'Earth', moons: 1, au: 1 },
    { name: 'Mars', moons: 2, au: 1.52 },
    { name: 'Jupiter', moons: 95, au: 5.2 },
    { name: 'Saturn', moons: 146, au: 9.54 },
    { name: 'Uranus', moons: 28, au: 19.2 },
    { name: 'Neptune', moons: 16, au: 30.06 },
  ],
  elements: [
    { number: 1, symbol: 'H', name: 'Hydrogen' },
    { number: 2, symbol: 'He', name: 'Helium' },
    { number: 6, symbol: 'C', name: 'Carbon' },
    { number: 7, symbol: 'N', name: 'Nitrogen' },
    { number: 8, symbol: 'O', name: 'Oxygen' },
    { number: 26, symbol: 'Fe', name: 'Iron' },
    { number: 79, symbol: 'Au', name: 'Gold' },
  ],
}
const NAMES = Object.keys(TABLES) as [string, ...string[]]
const json = (value: unknown) => JSON.stringify(value, null, 2)
const completeTable = (value: string | undefined) => NAMES.filter((n) => n.startsWith(value ?? ''))

/** The rows of `table` whose columns equal every value in `where`, at most `limit` of them. */
function select(table: string, where: Row, limit: number): readonly Row[] {
  const rows = TABLES[table] ?? []
  const wanted = Object.entries(where)
  return rows
    .filter((row) => wanted.every(([column, value]) => row[column] === value))
    .slice(0, limit)
}

/**
 * The `data` example upstream: a `query` tool, the resource `data://tables`,
 * the template `data://tables/{table}` (with completion) and the prompt
 * `summarize`.
 */
export function createDataServer(): McpServer {
  const server = new McpServer({ name: 'mcpx-example-data', version: '1.0.0' })

  server.registerTool(
    'query',
    {
      description: 'Rows of a table whose columns equal the given values, as JSON',
      inputSchema: {
        table: z.enum(NAMES),
        where: z.record(z.union([z.string(), z.number()])).optional(),
        limit: z.number().int().min(1).max(100).optional(),
      },
    },
    async ({ table, where, limit }) => ({
      content: [{ type: 'text', text: json(select(table, where ?? {}, limit ?? 100)) }],
    }),
  )

  server.registerResource(
    'tables',
    'data://tables',
    { description: 'The tables and their columns', mimeType: 'application/json' },
    async (uri) => {
      const tables = NAMES.map((name) => ({
        name,
        columns: Object.keys(TABLES[name]![0]!),
        rows: TABLES[name]!.length,
      }))
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: json(tables) }] }
    },
  )

  server.registerResource(
    'table',
    new ResourceTemplate('data://tables/{table}', {
      list: async () => ({
        resources: NAMES.map((name) => ({ name, uri: `data://tables/${name}` })),
      }),
      complete: { table: completeTable },
    }),
    { description: 'Every row of one table', mimeType: 'application/json' },
    async (uri, { table }) => {
      const rows = TABLES[String(table)]
      if (!rows) throw new Error(`no table ${String(table)}`)
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: json(rows) }] }
    },
  )

  server.registerPrompt(
    'summarize',
    {
      description: 'Ask for a summary of one table',
      argsSchema: { table: completable(z.string(), completeTable) },
    },
    ({ table }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: `data://tables/${table}`,
              mimeType: 'application/json',
              text: json(TABLES[table] ?? []),
            },
          },
        },
        { role: 'user', content: { type: 'text', text: `Summarize the ${table} table.` } },
      ],
    }),
  )
  return server
}
