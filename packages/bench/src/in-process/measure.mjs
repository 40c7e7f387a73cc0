// Side-by-side micro-benchmark runner: every variant runs in the same
// process, rounds interleaved (order alternating), so that machine noise
// hits all of them alike. Reports the median ns per operation.

/**
 * @param {Record<string, () => Promise<unknown>>} variants one async operation each
 * @param {{ rounds?: number, batch?: number }} [options]
 * @returns {Promise<Record<string, number>>} median ns per operation
 */
export async function measure(variants, { rounds = 41, batch = 10_000 } = {}) {
  const entries = Object.entries(variants)
  const samples = Object.fromEntries(entries.map(([name]) => [name, []]))
  for (const [, op] of entries) for (let i = 0; i < batch; i++) await op() // warm up
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? entries : [...entries].reverse()
    for (const [name, op] of order) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < batch; i++) await op()
      samples[name].push(Number(process.hrtime.bigint() - start) / batch)
    }
  }
  const result = Object.fromEntries(entries.map(([name]) => [name, median(samples[name])]))
  // Paired ratios: each round's time over the first variant's time in the same
  // round, so that drift in machine speed between rounds cancels out.
  const [base] = entries[0]
  result.ratios = Object.fromEntries(
    entries.map(([name]) => [name, median(samples[name].map((t, i) => t / samples[base][i]))]),
  )
  return result
}

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** @param {(string | number)[][]} rows */
export function table(header, rows) {
  const lines = [header, header.map(() => '---'), ...rows]
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n')
}

/**
 * A batch size that makes one batch of the slowest variant last about
 * `targetMs`, from a calibration bounded both ways (at most 2,000 calls or
 * 100 ms per variant), so that every measure() run is bounded in count and
 * in time.
 */
export async function batchFor(variants, targetMs, maxBatch = 10_000) {
  let slowest = 0
  for (const op of Object.values(variants)) {
    const deadline = performance.now() + 100
    let calls = 0
    const start = performance.now()
    while (calls < 2000 && performance.now() < deadline) {
      await op()
      calls++
    }
    slowest = Math.max(slowest, (performance.now() - start) / calls)
  }
  return Math.max(10, Math.min(maxBatch, Math.round(targetMs / slowest)))
}

/** A run's time budget: `overBudget(section)` is true (and says so) once `ms` have passed. */
export function budget(ms) {
  const started = Date.now()
  return function overBudget(section) {
    if (Date.now() - started < ms) return false
    console.log(`\n(${section} skipped: the run's ${ms / 1000} s budget is spent)`)
    return true
  }
}
