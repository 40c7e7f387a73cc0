import { fileURLToPath } from 'node:url'
import { runProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

// The built programs and servers: run `turbo run build` first (`npm test` does).
export const dist = (path: string) => fileURLToPath(new URL(`../dist/${path}`, import.meta.url))
export const serverPath = dist('bin/example-server.js')

/** Runs `dist/<name>.js`, as `pnpm example:<name>` does, to its end. */
export async function runExample(
  name: string,
  { env = process.env, timeoutMs = 25_000 }: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
) {
  const run = await runProcess(process.execPath, [dist(`${name}.js`)], { env, timeoutMs })
  if (run.code !== 0) throw new Error(`${name} exited ${run.code}: ${run.stderr}`)
  return run.stdout
}

/** The SDK's own client, connected over Streamable HTTP. */
export async function connect(url: URL, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'examples-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }))
  return client
}

export const text = (result: unknown) =>
  (result as { content: { text: string }[] }).content[0]?.text
