// Shared by the algorithm tests: random arrival sequences, and a runner that
// plays one through an algorithm, checking on the way that a refusal changes
// nothing.
import fc from 'fast-check'
import { expect } from 'vitest'
import type { Algorithm, Decision, State } from '../src/types.js'

export interface Arrival {
  at: number
  cost: number
}

export interface Outcome extends Arrival {
  decision: Decision
  /** The state before the message (undefined for the first). */
  before: State | undefined
}

/** A realistic epoch in milliseconds, so that the arithmetic runs at the magnitudes it meets. */
const EPOCH = 1_750_000_000_000

/** Non-decreasing times (gaps of 0..maxGapMs, often 0), costs 1..5. */
export function arrivals(maxGapMs: number, maxLength = 200): fc.Arbitrary<Arrival[]> {
  const gap = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: maxGapMs }))
  return fc
    .tuple(
      fc.integer({ min: 0, max: 10_000_000 }),
      fc.array(fc.record({ gap, cost: fc.integer({ min: 1, max: 5 }) }), { maxLength }),
    )
    .map(([offset, list]) => {
      let at = EPOCH + offset
      return list.map(({ gap, cost }) => {
        at += gap
        return { at, cost }
      })
    })
}

export const decision = (): Decision => ({
  allowed: false,
  limit: -1,
  remaining: -1,
  retryAfterMs: -1,
  resetMs: -1,
})

/**
 * Plays `list` through `algorithm`, keeping the state as a store would.
 * Asserts that a refused message leaves both the state and `next` untouched.
 */
export function play(algorithm: Algorithm, list: readonly Arrival[]): Outcome[] {
  let state: State | undefined
  return list.map(({ at, cost }) => {
    const out = decision()
    const next = new Array<number>(algorithm.stateSize).fill(Number.NaN)
    const before = state === undefined ? undefined : [...state]
    const allowed = algorithm.evaluate(state, at, cost, out, next)
    expect(out.allowed).toBe(allowed)
    if (allowed) state = next
    else {
      expect(state).toEqual(before)
      expect(next.every(Number.isNaN)).toBe(true)
    }
    return { at, cost, decision: { ...out }, before }
  })
}

/** The cost accepted in `[from, to)`. */
export function acceptedIn(outcomes: readonly Outcome[], from: number, to: number): number {
  let sum = 0
  for (const o of outcomes) if (o.decision.allowed && o.at >= from && o.at < to) sum += o.cost
  return sum
}

/** Evaluates one message against `state` without keeping anything. */
export function probe(algorithm: Algorithm, state: State | undefined, at: number, cost: number) {
  const out = decision()
  algorithm.evaluate(state, at, cost, out, new Array<number>(algorithm.stateSize).fill(0))
  return out
}
