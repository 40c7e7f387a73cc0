import { describe, expect, it } from 'vitest'
import { boundsOf, bucketOf, defaultDurationBuckets, quantileOf } from './buckets.js'

const OTEL_MCP_BOUNDS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]

describe('the default duration buckets', () => {
  it('include sub-millisecond bounds and every OpenTelemetry MCP semconv bound', () => {
    expect(defaultDurationBuckets.filter((b) => b < 0.001).length).toBeGreaterThanOrEqual(4)
    expect(defaultDurationBuckets).toEqual(expect.arrayContaining(OTEL_MCP_BOUNDS))
    expect(Object.isFrozen(defaultDurationBuckets)).toBe(true)
  })
})

describe('boundsOf', () => {
  it('keeps the bounds and writes their le values once', () => {
    const bounds = boundsOf('buckets', [0.5, 1, 2.5])
    expect([...bounds.values]).toEqual([0.5, 1, 2.5])
    expect(bounds.le).toEqual(['0.5', '1', '2.5', '+Inf'])
  })

  it.each([
    [[], 'buckets must be an array of 1 to 100 bucket bounds'],
    [[1, 1], 'buckets[1] must be greater than the bound before it (1)'],
    [[2, 1], 'buckets[1] must be greater'],
    [[1, Infinity], 'buckets[1] must be a finite number'],
    [[Number.NaN], 'buckets[0] must be a finite number'],
    ['1,2', 'buckets must be an array'],
  ])('refuses %j', (buckets, message) => {
    expect(() => boundsOf('buckets', buckets as never)).toThrow(message)
  })
})

describe('bucketOf', () => {
  const bounds = Float64Array.from([1, 2, 5])
  it('finds the first bound ≥ the value (le), +Inf past the last', () => {
    expect([0, 1, 1.5, 2, 4.9, 5, 5.1, 1e9].map((v) => bucketOf(bounds, v))).toEqual([
      0, 0, 1, 1, 2, 2, 3, 3,
    ])
  })
})

describe('quantileOf', () => {
  const bounds = Float64Array.from([1, 2, 4])
  it('interpolates within the bucket, as histogram_quantile does', () => {
    // 10 in (1, 2], 10 in (2, 4]
    const counts = Float64Array.from([0, 10, 10, 0])
    expect(quantileOf(bounds, counts, 20, 1, 4, 0.5)).toBe(2)
    expect(quantileOf(bounds, counts, 20, 1, 4, 0.75)).toBe(3)
    // The last bucket with counts ends at the largest value seen.
    expect(quantileOf(bounds, counts, 20, 1.1, 3.9, 0.75)).toBeCloseTo(2.95)
  })

  it('stays within the observed min and max', () => {
    const counts = Float64Array.from([4, 0, 0, 0])
    expect(quantileOf(bounds, counts, 4, 0.2, 0.3, 0.5)).toBeCloseTo(0.25)
    expect(quantileOf(bounds, counts, 4, 0.2, 0.3, 0.99)).toBeLessThanOrEqual(0.3)
    const inf = Float64Array.from([0, 0, 0, 2])
    expect(quantileOf(bounds, inf, 2, 7, 9, 0.99)).toBeLessThanOrEqual(9)
    expect(quantileOf(bounds, inf, 2, 7, 9, 0.01)).toBeGreaterThanOrEqual(7)
  })
})
