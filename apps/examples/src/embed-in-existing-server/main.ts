// npx -y pnpm@10.34.8 --filter @mcpx/examples example:embed-in-existing-server
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { start } from './server.js'

const server = await start({ key: 'demo-key', callsPerMinute: 3 })
console.log(`notes server behind mcpx on ${server.url}`)

const connect = async (headers: Record<string, string>) => {
  const client = new Client({ name: 'embed-demo', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(server.url, { requestInit: { headers } }))
  return client
}

try {
  await connect({}).catch((error: Error) => console.log('without a key:', error.message))
  const client = await connect({ 'x-api-key': 'demo-key' })
  for (let i = 1; i <= 4; i++) {
    const answer = await client
      .callTool({ name: 'add_note', arguments: { text: `note ${i}` } })
      .then(
        (result) => JSON.stringify(result.content),
        (error: Error) => error.message,
      )
    console.log(`call ${i}:`, answer)
  }
  await client.close()
} finally {
  await server.close()
}
