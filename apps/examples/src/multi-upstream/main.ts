// npx -y pnpm@10.34.8 --filter @mcpx/examples example:multi-upstream
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { start } from './gateway.js'

const gateway = await start()
console.log(`math, data and admin as one server on ${gateway.url}`)
const client = new Client({ name: 'multi-upstream-demo', version: '1.0.0' })
await client.connect(new StreamableHTTPClientTransport(gateway.url))
const text = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as { type: string; text: string }[])[0]?.text

try {
  const { tools } = await client.listTools()
  console.log('tools:', tools.map((tool) => tool.name).join(', '))
  const sum = await client.callTool({ name: 'math_add', arguments: { a: 2, b: 3 } })
  console.log('math_add(2, 3):', text(sum))
  const planets = await client.callTool({
    name: 'data_query',
    arguments: { table: 'planets', limit: 1 },
  })
  console.log('data_query planets:', text(planets))
  const { contents } = await client.readResource({ uri: 'data://tables' }) // routed by URI
  const tables = JSON.parse((contents[0] as { text: string }).text) as { name: string }[]
  console.log('data://tables:', tables.map((table) => table.name).join(', '))
  for (let i = 1; i <= 4; i++) {
    console.log(`math_whoami #${i}: pid`, text(await client.callTool({ name: 'math_whoami' })))
  }
} finally {
  await client.close()
  await gateway.close()
}
