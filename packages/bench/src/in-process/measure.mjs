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
