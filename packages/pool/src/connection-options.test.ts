import { inProcess } from '@mcpx/transports'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { describe, expect, it } from 'vitest'
import { resolveConnectionOptions } from './connection-options.js'
import { type PoolFactoryOptions, pool } from './index.js'

const connector = inProcess(() => new McpServer({ name: 's', version: '1' }))
/** pool()'s checks run before it opens anything: min 0 keeps a shared pool from opening one. */
const make = (options: unknown) => () =>
  pool('p', connector, { min: 0, ...(options as object) } as PoolFactoryOptions)

describe("pool()'s option checks", () => {
  it('refuses options that are not an object', () => {
    expect(() => pool('p', connector, 4 as never)).toThrow('[@mcpx/pool] options must be an object')
  })

  it('refuses an unknown option by its name, nested ones with their path', () => {
    expect(make({ maxInflight: 8 })).toThrow('[@mcpx/pool] unknown option maxInflight')
    expect(make({ health: { pingIntervall: 5 } })).toThrow(
      '[@mcpx/pool] unknown option health.pingIntervall',
    )
    expect(make({ health: { http: { url: 'http://127.0.0.1/', path: '/x' } } })).toThrow(
      '[@mcpx/pool] unknown option health.http.path',
    )
    expect(make({ restart: { delay: 5 } })).toThrow('[@mcpx/pool] unknown option restart.delay')
    expect(make({ restart: { crashLoop: { limit: 5 } } })).toThrow(
      '[@mcpx/pool] unknown option restart.crashLoop.limit',
    )
  })

  it('refuses a time longer than the longest timer (it would fire at once)', () => {
    expect(make({ idleTimeout: 2 ** 31 })).toThrow(
      '[@mcpx/pool] idleTimeout must be a whole number of ms from 1 to 2147483647 (the longest timer)',
    )
    expect(make({ acquireTimeout: 1e12 })).toThrow(/acquireTimeout must be a whole number of ms/)
    expect(make({ restart: { maxDelay: 2 ** 31 } })).toThrow(/restart\.maxDelay must be/)
  })

  it('checks the connection options: times, registries, clientInfo, functions', () => {
    expect(make({ timeout: -1 })).toThrow(/timeout must be a whole number of ms/)
    expect(make({ connectTimeout: 0 })).toThrow(
      /connectTimeout must be a whole number of ms from 1/,
    )
    expect(make({ healthRegistry: {} })).toThrow(
      "[@mcpx/pool] healthRegistry must be core's createHealthRegistry()",
    )
    expect(make({ statsRegistry: { add: 1 } })).toThrow(
      "[@mcpx/pool] statsRegistry must be core's createStatsRegistry()",
    )
    expect(make({ clientInfo: { name: 'x' } })).toThrow(/clientInfo must be/)
    expect(make({ log: 'stderr' })).toThrow('[@mcpx/pool] log must be a function')
    expect(make({ random: 0.5 })).toThrow('[@mcpx/pool] random must be a function')
  })

  it('applies the defaults: timeout 60 s, maxTotalTimeout 10 × timeout, connectTimeout 30 s', () => {
    expect(resolveConnectionOptions({})).toMatchObject({
      timeout: 60_000,
      maxTotalTimeout: 600_000,
      connectTimeout: 30_000,
    })
    expect(resolveConnectionOptions({ timeout: 0 }).maxTotalTimeout).toBe(0)
  })
})
