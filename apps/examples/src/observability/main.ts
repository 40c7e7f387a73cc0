// npx -y pnpm@10.34.8 --filter @mcpx/examples example:observability
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { start } from './gateway.js'

const gateway = await start()
console.log(`MCP on ${gateway.url}, Prometheus scrape on ${gateway.metricsUrl}`)
const client = new Client({ name: 'observability-demo', version: '1.0.0' })
await client.connect(new StreamableHTTPClientTransport(gateway.url))
try {
  await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }) // its spans print below
  const scrape = await (await fetch(gateway.metricsUrl)).text()
  console.log('\nthe scrape, its mcpx_requests_total lines:')
  for (const line of scrape.split('\n')) {
    if (line.startsWith('mcpx_requests_total')) console.log(line)
  }
} finally {
  await client.close()
  await gateway.close()
}
