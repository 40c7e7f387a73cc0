/**
 * Issue 11's chaos acceptance test: 1,000 `tools/call` at concurrency 16
 * through a shared pool of 4 real faulty stdio children while three of them
 * are killed with SIGKILL, spaced out over the run (docs/pool-design.md §4).
 */
import { createProxy } from '@mcpx/core'
import { descendants, eventually, faultyBinPath, hasProc } from '@mcpx/test-utils'
import { forward } from '@mcpx/transports'
import { stdio } from '@mcpx/transports/stdio'
import { afterEach, expect, it } from 'vitest'
import { type Pool, pool } from '../src/index.js'

const CALLS = 1_000
const CONCURRENCY = 16
const CHILDREN = 4
/** Kill a child once this many calls have ended. */
const KILL_AFTER = [250, 500, 750]
const TIMEOUT = 5_000
/** Slack over the request timeout for the proxy's own bookkeeping on a loaded machine. */
const SLACK = 1_000

let opened: { close(): Promise<void> } | undefined
afterEach(async () => {
  await opened?.close()
  opened = undefined
})

it('ends 1,000 calls at concurrency 16 within the timeout while 3 of 4 children are SIGKILLed, then is back to 4 ready', async () => {
  const p: Pool = pool(
    'faulty',
    stdio({ command: process.execPath, args: [faultyBinPath('stdio'), '--latency', '5-20'] }),
    {
      min: CHILDREN,
      max: CHILDREN,
      timeout: TIMEOUT,
      acquireTimeout: 2_000,
      restart: { baseDelay: 20, maxDelay: 200 },
      log: () => {},
    },
  )
  const proxy = createProxy({ terminal: forward([p]) })
  opened = proxy
  await eventually(() => p.stats().ready === CHILDREN, 10_000)

  let id = 0
  const send = (name: string, args: Record<string, unknown>) =>
    proxy.handle({
      jsonrpc: '2.0',
      id: ++id,
      method: 'tools/call',
      params: { name, arguments: args },
    }) as Promise<Record<string, any>>

  const durations: number[] = []
  const errors: { code: number; message: string }[] = []
  let results = 0
  let next = 0
  async function worker(): Promise<void> {
    while (next < CALLS) {
      const n = next++
      const started = performance.now()
      const response = await send('echo', { text: `call ${n}` })
      durations.push(performance.now() - started)
      if (response.error) errors.push(response.error)
      else if (response.result?.content?.[0]?.text === `call ${n}`) results++
      else errors.push({ code: 0, message: `unexpected answer ${JSON.stringify(response)}` })
    }
  }

  const killed: number[] = []
  async function killer(): Promise<void> {
    for (const after of KILL_AFTER) {
      await eventually(() => durations.length >= after, 20_000)
      // A live child's pid, from the pool itself; the call is not one of the 1,000.
      const response = await send('pid', {})
      const pid = Number(response.result.content[0].text)
      process.kill(pid, 'SIGKILL')
      killed.push(pid)
    }
  }

  const run = Promise.all([...Array.from({ length: CONCURRENCY }, worker), killer()])
  await run

  expect(killed).toHaveLength(3)
  expect(durations).toHaveLength(CALLS)
  expect(Math.max(...durations)).toBeLessThan(TIMEOUT + SLACK)
  expect(results + errors.length).toBe(CALLS)
  // The calls that were on a killed child fail at once, naming the upstream; none is another kind.
  for (const error of errors) {
    expect(error).toMatchObject({
      code: -32010,
      message: expect.stringMatching(/^Upstream "faulty"/),
    })
  }
  // Each kill hit calls in flight (about 4 per child at concurrency 16): the chaos was real.
  expect(errors.length).toBeGreaterThan(0)
  expect(results).toBeGreaterThan(CALLS / 2)

  await eventually(() => p.stats().ready === CHILDREN, 10_000)
  const stats = p.stats()
  expect(stats).toMatchObject({ ready: CHILDREN, connections: CHILDREN, inFlight: 0, pending: 0 })
  expect(stats.restarts).toBeGreaterThanOrEqual(3)
  if (hasProc) {
    const children = descendants(process.pid).filter((s) => s.ppid === process.pid && !s.zombie)
    expect(children.map((s) => s.pid).filter((pid) => killed.includes(pid))).toEqual([])
    expect(children).toHaveLength(CHILDREN)
  }
}, 60_000)
