// pnpm bench (part), pnpm bench:ratelimit: @mcpx/ratelimit's memoryStore()
// consume() on a repeat key, per algorithm, one check (a per-client limit)
// and two (global + per client), beside a floor (an empty function call of
// the same shape), side by side in one run. Issue 10's bar: ≤ 100 ns median
// per message for a memory-store check.
import os from 'node:os'
import { fixedWindow, memoryStore, slidingWindow, tokenBucket } from '@mcpx/ratelimit'
import { batchFor, budget, measure, table } from './measure.mjs'

/** Calls per timed operation: measure() awaits each operation, and an await costs more than a check. */
const INNER = 100
/** The whole run stops measuring after this long; later sections are skipped. */
const overBudget = budget(60_000)

// Limits no benchmark loop can exhaust, so that every timed check is allowed and charged.
const HUGE = 1e15
const algorithms = {
  'token bucket': tokenBucket({ capacity: HUGE, refillPerSecond: HUGE }),
  'fixed window': fixedWindow({ limit: HUGE, windowMs: 60_000 }),
  'sliding window': slidingWindow({ limit: HUGE, windowMs: 60_000 }),
}

let sink = 0
/** INNER calls of `consume(checks)` as one operation; the result is read so that nothing is optimised away. */
const repeat = (consume, checks) => () => {
  for (let i = 0; i < INNER; i++) sink += consume(checks)[0].remaining
}

/** Every variant is run once before it is timed: each check must be allowed. */
function checked(store, checks) {
  const decisions = store.consume(checks)
  if (!decisions.every((d) => d.allowed)) throw new Error('a benchmark check was refused')
  return checks
}

async function consumeSection() {
  const store = memoryStore()
  const fixed = [{ allowed: true, limit: HUGE, remaining: HUGE, retryAfterMs: 0, resetMs: 0 }]
  const floor = (_checks) => fixed
  const variants = { floor: repeat(floor, []) }
  for (const [name, algorithm] of Object.entries(algorithms)) {
    const client = { limitId: `client ${name}`, algorithm, key: 'client-8c1f2a', cost: 1 }
    const global = { limitId: `global ${name}`, algorithm, key: 'global', cost: 1 }
    variants[`${name}, 1 check`] = repeat(store.consume, checked(store, [client]))
    variants[`${name}, 2 checks`] = repeat(store.consume, checked(store, [global, client]))
  }
  const result = await measure(variants, { rounds: 41, batch: await batchFor(variants, 4) })
  store.close()
  const per = (name) => result[name] / INNER
  const rows = Object.keys(variants).map((name) => [
    name === 'floor' ? 'floor: an empty function returning a fixed array' : `consume(), ${name}`,
    per(name).toFixed(1),
    name === 'floor' ? '' : (per(name) - per('floor')).toFixed(1),
    result.ratios[name].toFixed(2),
  ])
  return table(
    [
      'memoryStore(), repeat key, per message',
      'median ns',
      'over floor, ns',
      'ratio to floor (paired)',
    ],
    rows,
  )
}

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log('\n### ratelimit: memoryStore() consume on a repeat key\n')
if (!overBudget('consume')) console.log(await consumeSection())
if (sink === 0) console.log('(no check ran)')
