import { delimiter, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { alternatingFetch, runProcess } from '@mcpx/test-utils'
import { ensureRedisServer, type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUDGET, MissingError, start } from '../src/multi-replica/replicas.js'
import { dist, runExample, text } from './helpers.js'

// The gateway's build, beside this app: `npm test` builds everything first.
const cliPath = fileURLToPath(new URL('../../gateway/dist/cli.js', import.meta.url))
/** Two gateways, each with its stdio children, and a redis-server: on 2 noisy cores, slow. */
const RUN = { timeoutMs: 60_000 }

describe('multi-replica', { timeout: 90_000 }, () => {
  let redis: RedisServer
  let running: Awaited<ReturnType<typeof start>>
  beforeAll(async () => {
    redis = await startRedis()
    running = await start({ redisUrl: redis.url, cliPath })
  }, 90_000)
  afterAll(async () => {
    await running?.stop()
    await redis?.stop()
  }, 30_000)

  it('serves a session opened on A through B: every call answered, one session', async () => {
    const { fetch, sent } = alternatingFetch(running.a.href, running.b.href)
    const transport = new StreamableHTTPClientTransport(running.a, { fetch })
    const client = new Client({ name: 'multi-replica-test', version: '1.0.0' })
    await client.connect(transport)
    const session = transport.sessionId
    try {
      for (let i = 1; i <= 4; i++) {
        const sum = await client.callTool({ name: 'math_add', arguments: { a: i, b: 10 } })
        expect(text(sum)).toBe(`${i + 10}`)
      }
      expect(sent.find(({ body }) => body.includes('"initialize"'))?.to).toBe(running.a.href)
      const calls = sent.filter(({ body }) => body.includes('"tools/call"'))
      // initialize on A, notifications/initialized on B, then the calls: A, B, A, B.
      const { a, b } = running
      expect(calls.map(({ to }) => to)).toEqual([a.href, b.href, a.href, b.href])
      expect(transport.sessionId).toBe(session)
    } finally {
      await client.close()
    }
  })

  it("counts the global limit on both: a budget spent by A's session is refused to B's", async () => {
    const onA = new Client({ name: 'multi-replica-test', version: '1.0.0' })
    await onA.connect(new StreamableHTTPClientTransport(running.a))
    const onB = new Client({ name: 'multi-replica-test', version: '1.0.0' })
    await onB.connect(new StreamableHTTPClientTransport(running.b))
    try {
      for (let i = 0; i < BUDGET; i++) {
        await onA.callTool({ name: 'math_echo', arguments: { text: `${i}` } })
      }
      const over = onB.callTool({ name: 'math_echo', arguments: { text: 'over' } })
      await expect(over).rejects.toThrow(/-32029.*Rate limit everyone exceeded/)
    } finally {
      await onA.close()
      await onB.close()
    }
  })

  it('the program, on a REDIS_URL: calls via A and B on one session, the limit refused, exits 0', async () => {
    const stdout = await runExample('multi-replica', {
      ...RUN,
      env: { ...process.env, REDIS_URL: redis.url },
    })
    expect(stdout).toContain(`redis-server on ${redis.url}\n`)
    expect(stdout).toMatch(/^client 1: initialize arrived at A: session \S+, owned by A$/m)
    expect(stdout).toContain('math_add(1, 1) arrived at B, forwarded to A: 2\n')
    expect(stdout).toContain('math_add(2, 2) arrived at A: 4\n')
    expect(stdout).toContain('one session (the same id) served all 4 calls, no error')
    expect(stdout).toContain('client 2 (session on B): math_echo at B: ok\n')
    expect(stdout).toMatch(/math_echo at B: refused, -32029 Rate limit everyone exceeded/)
    expect(stdout).toContain('stopped: replica A exited 0, replica B 0 (SIGTERM)\n')
  })

  it('the program, without REDIS_URL: starts and stops a redis-server of its own, exits 0', async () => {
    const { REDIS_URL: _, ...env } = process.env
    // Where ensure found it (maybe /usr/sbin, off a user's PATH): first on the program's.
    const path = `${dirname(await ensureRedisServer())}${delimiter}${env.PATH ?? ''}`
    const stdout = await runExample('multi-replica', { ...RUN, env: { ...env, PATH: path } })
    expect(stdout).toMatch(/^redis-server on redis:\/\/127\.0\.0\.1:\d+ \(started here\)$/m)
    expect(stdout).toContain('one session (the same id) served all 4 calls, no error')
    expect(stdout).toContain('exited 0, replica B 0 (SIGTERM), then redis-server\n')
  })

  it('refuses to start without the built gateway, saying to build it', async () => {
    const started = start({ redisUrl: redis.url, cliPath: '/nonexistent/cli.js' })
    await expect(started).rejects.toThrow(
      'the gateway is not built (no /nonexistent/cli.js): run `npx turbo run build` first',
    )
    await expect(started).rejects.toBeInstanceOf(MissingError)
  })

  it('the program, without redis-server or REDIS_URL: one line saying how to install it, exit 1', async () => {
    const { REDIS_URL: _, ...env } = process.env
    const run = await runProcess(process.execPath, [dist('multi-replica.js')], {
      env: { ...env, PATH: '/nonexistent' },
      timeoutMs: 30_000,
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(
      'multi-replica: redis-server is not installed: `sudo apt-get install -y redis-server`, ' +
        'or set REDIS_URL to a Redis of yours\n',
    )
  })
})
