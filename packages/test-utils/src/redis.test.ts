import { spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from './eventually.js'
import { findRedisServer, pingRedis, type RedisServer, startRedis } from './redis.js'

const servers: RedisServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
})

describe('startRedis', () => {
  it('starts a redis-server on a loopback port that answers PING', async () => {
    const redis = await startRedis()
    servers.push(redis)
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`)
    expect(await pingRedis(redis.port)).toBe(true)
    expect(findRedisServer()).toMatch(/redis-server$/)
  })

  it('starts one that requires a password (--requirepass): it is up when it asks for auth', async () => {
    const redis = await startRedis({ args: ['--requirepass', 'test-password'] })
    servers.push(redis)
    expect(await pingRedis(redis.port)).toBe(true)
  })

  it('stop() takes it away and start() brings it back on the same port', async () => {
    const redis = await startRedis()
    servers.push(redis)
    await redis.stop()
    expect(await pingRedis(redis.port)).toBe(false)
    await redis.start()
    expect(await pingRedis(redis.port)).toBe(true)
  })

  it('kills its redis-server when the process that started it is SIGKILLed', async () => {
    // The built module: a plain Node child cannot load TypeScript (npm test builds first).
    const module = new URL('../dist/redis.js', import.meta.url).pathname
    const script = `import { startRedis } from ${JSON.stringify(module)}
      const r = await startRedis(); console.log('PORT ' + r.port); setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const match = /PORT (\d+)/.exec(chunk)
        if (match) resolve(Number(match[1]))
      })
      child.once('exit', (code) => reject(new Error(`child exited (${code})`)))
    })
    expect(await pingRedis(port)).toBe(true)
    child.kill('SIGKILL')
    await eventually(async () => !(await pingRedis(port)), 5000)
  })
})
