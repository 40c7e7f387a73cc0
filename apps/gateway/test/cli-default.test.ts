// The embedded default (issue 15, item 2 and the first acceptance point): the built CLI with
// no config serves the three example upstreams of @mcpx/examples, namespaced, with metrics on.
import { fileURLToPath } from 'node:url'
import {
  descendants,
  freePort,
  hasProc,
  type ProcStat,
  readStat,
  type StartedProcess,
  startProcess,
} from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const running: StartedProcess[] = []
const clients: Client[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()))
})
afterAll(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** The built CLI with only these arguments (no config, no upstream): the default config. */
function start(args: string[]): StartedProcess {
  const gateway = startProcess(process.execPath, [cli, ...args], { name: 'mcpx-gateway' })
  running.push(gateway)
  return gateway
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'cli-default', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  clients.push(client)
  return client
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text
const names = (items: readonly { name: string }[]) => items.map((item) => item.name).sort()

/** Still this very process, running: not gone, not a zombie, its PID not reused. */
const alive = (seen: ProcStat) => {
  const now = readStat(seen.pid)
  return now !== null && now.start === seen.start && !now.zombie
}

describe('mcpx-gateway with no config (the embedded default)', () => {
  let gateway: StartedProcess
  let url: string
  beforeAll(async () => {
    gateway = start(['--port', '0'])
    url = await gateway.ready
  })

  it('lists the namespaced tools of math, data and admin', async () => {
    const client = await connect(url)
    expect(names((await client.listTools()).tools)).toEqual([
      'admin_list_users',
      'admin_set_flag',
      'admin_status',
      'data_query',
      'math_add',
      'math_count',
      'math_echo',
    ])
  })

  it('calls one tool of each example and gets its answer', async () => {
    const client = await connect(url)
    expect(text(await client.callTool({ name: 'math_add', arguments: { a: 2, b: 3 } }))).toBe('5')
    const planets = await client.callTool({
      name: 'data_query',
      arguments: { table: 'planets', where: { name: 'Mars' } },
    })
    expect(JSON.parse(text(planets))).toEqual([{ name: 'Mars', moons: 2, au: 1.52 }])
    const admins = await client.callTool({ name: 'admin_list_users', arguments: { role: 'admin' } })
    expect(JSON.parse(text(admins))).toEqual([{ id: 'u1', name: 'Ada', role: 'admin' }])
  })

  it('lists and reads a resource of each example', async () => {
    const client = await connect(url)
    const uris = (await client.listResources()).resources.map((resource) => resource.uri)
    expect(uris).toEqual(
      expect.arrayContaining(['example://readme', 'data://tables', 'admin://flags']),
    )
    const read = async (uri: string) =>
      ((await client.readResource({ uri })).contents[0] as { text: string }).text
    expect(await read('example://readme')).toBe('This is the mcpx example upstream.')
    expect(JSON.parse(await read('data://tables'))).toHaveLength(2)
    expect(JSON.parse(await read('admin://flags'))).toEqual({ maintenance: false })
  })

  it('lists and gets a prompt of each example', async () => {
    const client = await connect(url)
    expect(names((await client.listPrompts()).prompts)).toEqual([
      'admin_audit',
      'data_summarize',
      'math_explain',
    ])
    const first = async (name: string, args: Record<string, string>) => {
      const { messages } = await client.getPrompt({ name, arguments: args })
      return messages.at(-1)!.content as { text: string }
    }
    expect((await first('math_explain', { topic: 'MCP' })).text).toBe('Explain MCP simply.')
    expect((await first('data_summarize', { table: 'elements' })).text).toBe(
      'Summarize the elements table.',
    )
    expect((await first('admin_audit', { role: 'viewer' })).text).toContain('"Linus"')
  })

  it('serves Prometheus metrics at /metrics, counting the calls', async () => {
    const client = await connect(url)
    await client.callTool({ name: 'math_echo', arguments: { text: 'counted' } })
    const response = await fetch(new URL('/metrics', url))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(await response.text()).toMatch(/^mcpx_requests_total\{method="tools\/call",.*\} \d+$/m)
  })

  it('says on stderr that auth is off', () => {
    expect(gateway.tail()).toContain('auth is off (no auth section): every client is anonymous')
  })
})

describe('mcpx-gateway with only --port (npm start -- --port <n>)', () => {
  it('serves the default on that port; on SIGTERM it exits 0 and no example child survives', async () => {
    const port = await freePort()
    const gateway = start(['--port', String(port)])
    const url = await gateway.ready
    expect(url).toBe(`http://127.0.0.1:${port}/mcp`)
    const client = await connect(url)
    const tools = names((await client.listTools()).tools)
    expect(tools).toEqual(expect.arrayContaining(['math_add', 'data_query', 'admin_status']))
    const status = await client.callTool({ name: 'admin_status', arguments: {} })
    expect(JSON.parse(text(status))).toMatchObject({ ok: true, users: 5, maintenance: false })

    // The client's session holds one example child per upstream (per-session mode).
    const children = hasProc ? descendants(gateway.pid) : []
    if (hasProc) expect(children.length).toBeGreaterThanOrEqual(3)
    gateway.child.kill('SIGTERM')
    const exit = await gateway.exited
    expect(exit).toEqual({ code: 0, signal: null })
    // The children may still be on their way out at the gateway's exit (a session's lease is
    // released without shutdown waiting for it); their stdin is closed, so they end: bounded wait.
    const deadline = Date.now() + 2000
    while (children.some(alive) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    expect(children.filter(alive).map((child) => child.pid)).toEqual([])
  })
})
