// Issue 10: which Redis client the Redis rate-limit store uses. node-redis
// (`redis`) and `ioredis`, side by side in one run against one real
// redis-server started here, on the store's round trip: EVALSHA of a small Lua
// script over 2 keys (the shape of a check: a window counter per key, written
// with PEXPIRE when both allow). Sequential latency (median, p99) and
// throughput with 32 in flight; rounds interleaved, order alternating; every
// loop bounded in count and time.
import os from 'node:os'
import { fixedWindow } from '@mcpx/ratelimit'
import { redisStore } from '@mcpx/ratelimit/redis'
import { startRedis } from '@mcpx/test-utils/redis'
import Redis from 'ioredis'
import { createClient } from 'redis'
import { median, table } from './measure.mjs'

const ROUNDS = 5
const SEQUENTIAL = { ops: 3000, ms: 1500 }
const CONCURRENT = { inFlight: 32, ops: 40_000, ms: 2000 }
const BUDGET_MS = 90_000

const SCRIPT = `
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
local limit, cost = tonumber(ARGV[1]), tonumber(ARGV[2])
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = tonumber(redis.call('GET', key) or '0')
  if counts[i] + cost > limit then return {0, i, ms} end
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, counts[i] + cost, 'PX', 60000)
end
return {1, 0, ms}
`
const KEYS = ['mcpx:rl:{rl}:global:a', 'mcpx:rl:{rl}:client:b']
// A limit no run reaches, so that every call writes (the common, allowed case).
const ARGS = ['1000000000000', '1']

async function nodeRedis(url) {
  const client = createClient({ url, disableOfflineQueue: true })
  client.on('error', () => {})
  await client.connect()
  const sha = await client.scriptLoad(SCRIPT)
  const options = { keys: KEYS, arguments: ARGS }
  return {
    call: () => client.evalSha(sha, options),
    close: () => client.close(),
  }
}

async function ioRedis(url) {
  const client = new Redis(url, { enableOfflineQueue: false, lazyConnect: true })
  client.on('error', () => {})
  await client.connect()
  const sha = await client.script('LOAD', SCRIPT)
  return {
    call: () => client.evalsha(sha, 2, KEYS[0], KEYS[1], ARGS[0], ARGS[1]),
    close: () => client.quit(),
  }
}

/** The store itself on ioredis: `consume()` of a global and a per-client check, as a message makes it. */
async function store(url) {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    socketTimeout: 1000,
    lazyConnect: true,
  })
  client.on('error', () => {})
  await client.connect()
  const algorithm = fixedWindow({ limit: 1e12, windowMs: 60_000 })
  const rateStore = redisStore({ client, timeoutMs: 1000 })
  const checks = [
    { limitId: 'global', algorithm, key: 'global', cost: 1 },
    { limitId: 'per-client', algorithm, key: 'p:\u0000alice', cost: 1 },
  ]
  return {
    call: async () => {
      const [global] = await rateStore.consume(checks)
      return [global.allowed ? 1 : 0]
    },
    close: () => client.quit(),
  }
}

/** Latencies (µs) of one call at a time, up to `ops` calls or `ms`. */
async function sequential(call) {
  const latencies = []
  const deadline = performance.now() + SEQUENTIAL.ms
  while (latencies.length < SEQUENTIAL.ops && performance.now() < deadline) {
    const start = process.hrtime.bigint()
    await call()
    latencies.push(Number(process.hrtime.bigint() - start) / 1000)
  }
  latencies.sort((a, b) => a - b)
  const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)]
  return { median: median(latencies), p99, n: latencies.length }
}

/** Calls per second with `inFlight` callers, up to `ops` calls or `ms`. */
async function concurrent(call) {
  let done = 0
  const start = performance.now()
  const deadline = start + CONCURRENT.ms
  const worker = async () => {
    while (done < CONCURRENT.ops && performance.now() < deadline) {
      await call()
      done++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENT.inFlight }, worker))
  return { perSecond: (done * 1000) / (performance.now() - start), n: done }
}

const redis = await startRedis()
const started = Date.now()
try {
  const clients = { 'node-redis (redis 6.3.1)': await nodeRedis(redis.url) }
  clients['ioredis 6.0.0'] = await ioRedis(redis.url)
  clients['redisStore() on ioredis: consume(), 2 checks'] = await store(redis.url)
  const entries = Object.entries(clients)
  for (const [name, { call }] of entries) {
    const reply = await call()
    if (!Array.isArray(reply) || Number(reply[0]) !== 1) throw new Error(`${name}: ${reply}`)
    for (let i = 0; i < 2000; i++) await call() // warm up
  }
  const samples = Object.fromEntries(entries.map(([n]) => [n, { med: [], p99: [], rps: [] }]))
  let rounds = 0
  for (; rounds < ROUNDS && Date.now() - started < BUDGET_MS; rounds++) {
    const order = rounds % 2 === 0 ? entries : [...entries].reverse()
    for (const [name, { call }] of order) {
      const seq = await sequential(call)
      const con = await concurrent(call)
      samples[name].med.push(seq.median)
      samples[name].p99.push(seq.p99)
      samples[name].rps.push(con.perSecond)
    }
  }
  const [base] = entries[0]
  const ratio = (name, field) =>
    median(samples[name][field].map((v, i) => v / samples[base][field][i])).toFixed(2)
  const rows = entries.map(([name]) => [
    name,
    median(samples[name].med).toFixed(1),
    median(samples[name].p99).toFixed(1),
    Math.round(median(samples[name].rps)).toLocaleString('en'),
    ratio(name, 'med'),
    ratio(name, 'rps'),
  ])
  const cpu = os.cpus()[0]?.model ?? 'unknown'
  console.log(
    `# Redis client round trip: EVALSHA, 2 keys (${os.cpus().length} × ${cpu}, Node ${process.version}, load ${os.loadavg()[0].toFixed(1)}, ${rounds} rounds)\n`,
  )
  console.log(
    table(
      [
        'client',
        'sequential median µs',
        'sequential p99 µs',
        `calls/s, ${CONCURRENT.inFlight} in flight`,
        'median / node-redis (paired)',
        'calls/s / node-redis (paired)',
      ],
      rows,
    ),
  )
  await Promise.all(entries.map(([, c]) => c.close()))
} finally {
  await redis.stop()
}
