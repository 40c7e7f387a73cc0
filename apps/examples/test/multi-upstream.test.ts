import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { start } from '../src/multi-upstream/gateway.js'
import { connect, dist, runExample, serverPath, text } from './helpers.js'

// Child processes and HTTP on a loaded machine: generous, and above runExample's own limit.
describe('multi-upstream', { timeout: 30_000 }, () => {
  let running: Awaited<ReturnType<typeof start>>
  beforeAll(async () => {
    running = await start({ serverPath, replicaPath: dist('bin/math-replica.js') })
  })
  afterAll(() => running.close(), 30_000)

  it('lists the tools of math, data and admin, each under its namespace', async () => {
    const client = await connect(running.url)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'admin_list_users',
      'admin_set_flag',
      'admin_status',
      'data_query',
      'math_add',
      'math_count',
      'math_echo',
      'math_whoami',
    ])
    await client.close()
  })

  it('routes each namespaced call and data:// read to its own upstream', async () => {
    const client = await connect(running.url)
    expect(text(await client.callTool({ name: 'math_add', arguments: { a: 2, b: 3 } }))).toBe('5')
    const rows = await client.callTool({
      name: 'data_query',
      arguments: { table: 'planets', where: { name: 'Earth' } },
    })
    expect(JSON.parse(text(rows) ?? '')).toMatchObject([{ name: 'Earth' }])
    expect(JSON.parse(text(await client.callTool({ name: 'admin_status' })) ?? '')).toBeTypeOf(
      'object',
    )
    const { contents } = await client.readResource({ uri: 'data://tables' })
    expect(contents[0]?.uri).toBe('data://tables')
    await client.close()
  })

  it('alternates math calls between its two replicas, two processes', async () => {
    const client = await connect(running.url)
    const pids: string[] = []
    for (let i = 0; i < 6; i++) pids.push(text(await client.callTool({ name: 'math_whoami' }))!)
    expect(new Set(pids).size).toBe(2)
    for (let i = 1; i < pids.length; i++) expect(pids[i]).not.toBe(pids[i - 1])
    expect(pids).not.toContain(String(process.pid))
    await client.close()
  })

  it('the program lists, calls and shows two pids taking turns, then exits 0', async () => {
    const stdout = await runExample('multi-upstream')
    expect(stdout).toContain('tools: math_add, math_echo, math_count, math_whoami, data_query')
    const pids = [...stdout.matchAll(/math_whoami #\d: pid (\d+)/g)].map((match) => match[1])
    expect(pids).toHaveLength(4)
    expect(pids[0]).not.toBe(pids[1])
    expect(pids.slice(2)).toEqual(pids.slice(0, 2))
  })
})
