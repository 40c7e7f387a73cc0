// pnpm bench:route: resolving a name against 1,000 routes (half exact tool
// names, half patterns) with @mcpx/router's createMatcher, memo on and off,
// against the naive approach: picomatch compiled once per route, each route
// tried in order until one matches.
import os from 'node:os'
import { createMatcher } from '@mcpx/router'
import picomatch from 'picomatch'
import { measure, table } from './measure.mjs'

/** mulberry32: the same routes and messages on every run. */
function seeded(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const VERBS = ['list', 'get', 'create', 'update', 'delete', 'sync', 'export', 'audit']
const AREAS = ['billing', 'users', 'infra', 'search', 'mail', 'files', 'crm', 'ci']

/**
 * 500 exact names, then 150 `team<i>_*`, 100 `*_<area><i>_admin`, 150
 * `svc<i>?_*_v*` and 100 `data://t<i>/reports/*`, in a shuffled declaration
 * order. No name of the message stream matches more than one route, so every
 * order gives the same answers and the three variants can be checked against
 * each other.
 */
function routesOf(random) {
  const routes = []
  for (let i = 0; i < 500; i++) routes.push(`tool_${i}_${VERBS[i % 8]}`)
  for (let i = 0; i < 150; i++) routes.push(`team${i}_*`)
  for (let i = 0; i < 100; i++) routes.push(`*_${AREAS[i % 8]}${i}_admin`)
  for (let i = 0; i < 150; i++) routes.push(`svc${i}?_*_v*`)
  for (let i = 0; i < 100; i++) routes.push(`data://t${i}/reports/*`)
  for (let i = routes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[routes[i], routes[j]] = [routes[j], routes[i]]
  }
  return routes.map((pattern, value) => ({ pattern, value }))
}

const pick = (random, list) => list[Math.floor(random() * list.length)]
const int = (random, n) => Math.floor(random() * n)

/** 50% exact hits, 35% pattern hits (every kind), 15% misses, some of them near. */
function messageOf(random) {
  const r = random()
  const i = int(random, 1000)
  if (r < 0.5) return `tool_${i % 500}_${VERBS[(i % 500) % 8]}`
  if (r < 0.6) return `team${i % 150}_${pick(random, VERBS)}`
  if (r < 0.68) return `${pick(random, VERBS)}_${AREAS[(i % 100) % 8]}${i % 100}_admin`
  if (r < 0.77) return `svc${i % 150}x_${pick(random, VERBS)}_v${int(random, 4)}`
  if (r < 0.85) return `data://t${i % 100}/reports/q${int(random, 4) + 1}`
  if (r < 0.9) return `unknown_${pick(random, VERBS)}_${i}`
  if (r < 0.95) return `data://t${i % 100}/reports/2024/q${int(random, 4) + 1}`
  return `svc${i % 150}_${pick(random, VERBS)}`
}

/** A name no earlier call has seen: a pattern hit or a miss, `i` in it. */
function freshName(random, i) {
  const k = int(random, 100)
  const verb = pick(random, VERBS)
  switch (i % 5) {
    case 0:
      return `team${k}_${verb}${i}`
    case 1:
      return `${verb}${i}_${AREAS[k % 8]}${k}_admin`
    case 2:
      return `svc${k}x_${verb}${i}_v1`
    case 3:
      return `data://t${k}/reports/q${i}`
    default:
      return `unknown_${verb}_${i}`
  }
}

const PICOMATCH = { dot: true, nobrace: true, noextglob: true, nonegate: true }

/** The naive router: one compiled picomatch per route, tried in order. */
function routeByRoute(routes) {
  const compiled = routes.map(({ pattern, value }) => ({
    test: picomatch(pattern, PICOMATCH),
    value,
  }))
  return (name) => {
    for (const route of compiled) if (route.test(name)) return route.value
    return undefined
  }
}

/** A less naive one: exact names in a Map, picomatch for the patterns only. */
function mapThenRoutes(routes) {
  const exact = new Map()
  const patterns = []
  for (const route of routes) {
    if (picomatch.scan(route.pattern).isGlob) patterns.push(route)
    else if (!exact.has(route.pattern)) exact.set(route.pattern, route.value)
  }
  const rest = routeByRoute(patterns)
  return (name) => exact.get(name) ?? rest(name)
}

/** Every variant must give every message the same answer, and no two routes may match one. */
function check(routes, messages, variants) {
  const all = routes.map(({ pattern }) => picomatch(pattern, PICOMATCH))
  const exact = new Set(routes.map(({ pattern }) => pattern))
  const counts = { exact: 0, pattern: 0, none: 0 }
  for (const name of messages) {
    const hits = all.filter((test) => test(name)).length
    if (hits > 1) throw new Error(`${name} matches ${hits} routes`)
    const answers = new Set(Object.values(variants).map((match) => match(name)))
    if (answers.size !== 1) throw new Error(`the variants disagree on ${name}: ${[...answers]}`)
    counts[exact.has(name) ? 'exact' : hits === 1 ? 'pattern' : 'none']++
  }
  return counts
}

/** Routed names counted while timing, so that no resolution is dead code. */
let sink = 0

/**
 * measure() times one op per variant; an op resolves the whole stream `reps`
 * times (fewer for the slow baseline), so that the harness's per-op overhead
 * is nothing beside it. Returns ns per message and the paired ratio to the
 * first variant, per message.
 */
async function perMessage(variants, messages, { rounds, batch }) {
  const ops = Object.fromEntries(
    Object.entries(variants).map(([name, { match, reps }]) => [
      name,
      () => {
        for (let r = 0; r < reps; r++)
          for (let i = 0; i < messages.length; i++) if (match(messages[i]) !== undefined) sink++
      },
    ]),
  )
  const result = await measure(ops, { rounds, batch })
  const [base] = Object.values(variants)
  return Object.entries(variants).map(([name, { reps }]) => ({
    name,
    ns: result[name] / (reps * messages.length),
    ratio: (result.ratios[name] * base.reps) / reps,
  }))
}

const random = seeded(42)
const routes = routesOf(random)
const messages = Array.from({ length: 1000 }, () => messageOf(random))
const memo = createMatcher(routes)
const noMemo = createMatcher(routes, { memo: 0 })
const naive = routeByRoute(routes)
const mapped = mapThenRoutes(routes)
const counts = check(routes, messages, {
  naive,
  mapped,
  memo: memo.match,
  noMemo: noMemo.match,
})

const rows = await perMessage(
  {
    'picomatch per route, route by route (baseline)': { match: naive, reps: 1 },
    'Map for exact names, then picomatch per pattern': { match: mapped, reps: 1 },
    'createMatcher, memo 1,000 (default)': { match: memo.match, reps: 200 },
    'createMatcher, memo off': { match: noMemo.match, reps: 50 },
  },
  messages,
  { rounds: 15, batch: 2 },
)

// The memo's worst case: every name new to it, so each one is resolved,
// inserted and evicts the oldest.
const fresh = Array.from({ length: 50_000 }, (_, i) => freshName(random, i))
check(routes, fresh.slice(0, 2000), { memo: createMatcher(routes).match, noMemo: noMemo.match })
const churned = createMatcher(routes)
const churnRows = await perMessage(
  {
    'createMatcher, memo off': { match: noMemo.match, reps: 2 },
    'createMatcher, memo 1,000, every name new': { match: churned.match, reps: 2 },
  },
  fresh,
  { rounds: 21, batch: 3 },
)

if (sink === 0) throw new Error('nothing was routed')
console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log(`\n### route: one name against ${routes.length} routes (500 exact, 500 patterns)\n`)
console.log(
  `${messages.length} seeded messages, resolved in a loop: ${counts.exact} exact names, ${counts.pattern} pattern hits, ${counts.none} unrouted\n`,
)
// The median of an odd number of paired ratios: its reciprocal is the median speed-up.
const times = (ratio) =>
  `${new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 }).format(1 / ratio)}×`
console.log(
  table(
    ['resolution', 'median ns per message', 'speed-up over the baseline (paired median)'],
    rows.map(({ name, ns, ratio }) => [name, ns.toFixed(1), times(ratio)]),
  ),
)
console.log(`\n### route: the memo when every name is new (${fresh.length} distinct names)\n`)
console.log(
  table(
    ['resolution', 'median ns per message', 'time over memo off (paired median)'],
    churnRows.map(({ name, ns, ratio }) => [name, ns.toFixed(1), `${ratio.toFixed(2)}×`]),
  ),
)
