// npx -y pnpm@10.34.8 --filter @mcpx/examples example:custom-middleware
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { start } from './proxy.js'

const proxy = await start()
console.log(`proxy listening on ${proxy.url}`)
const client = new Client({ name: 'custom-middleware-demo', version: '1.0.0' })
await client.connect(new StreamableHTTPClientTransport(proxy.url))
try {
  const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })
  console.log('add(2, 3):', JSON.stringify(sum))
  await client.callTool({ name: 'echo', arguments: { text: 'hi' } })
} catch (error) {
  console.log('echo:', (error as Error).message)
} finally {
  await client.close()
  await proxy.close()
}
