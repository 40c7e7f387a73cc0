// Concurrent identical misses reach the upstream once (issue 13): the first
// (the leader) sends the request, the others (followers) wait for its outcome.

/**
 * How a flight ended, for its followers.
 * - `result`: the upstream's answer, stored or not (an `isError` result is an
 *   answer too), as a frozen object they all share.
 * - `error`: the upstream's error answer (or a failure below the cache):
 *   followers get the same error, never a cached entry. They asked the same
 *   thing at the same time; asking again would send each of them to an
 *   upstream that is failing right now, the moment it can least take it.
 * - `abandoned`: the leader's own client went away (cancel, disconnect,
 *   shutdown), so its outcome says nothing of the upstream; a follower
 *   leads a new flight instead.
 */
export type Outcome =
  | { readonly kind: 'result'; readonly value: unknown; readonly stored: boolean }
  | { readonly kind: 'error'; readonly error: unknown; readonly thrown: boolean }
  | { readonly kind: 'abandoned' }

export const ABANDONED: Outcome = Object.freeze({ kind: 'abandoned' })

/** One upstream request in flight for a key. */
export interface Flight {
  readonly tags: readonly string[]
  /** A tag of it was invalidated while it ran: its answer may predate the change, so it is not stored. */
  invalidated: boolean
  /** How many wait for it besides the leader. */
  followers: number
  readonly done: Promise<Outcome>
  /** Ends the flight: followers get `outcome`, a later miss starts a new flight. */
  land(outcome: Outcome): void
}

/** The flights in progress, one per key: bounded by the requests in flight. */
export class Flights {
  readonly #byKey = new Map<string, Flight>()

  get(key: string): Flight | undefined {
    return this.#byKey.get(key)
  }

  get size(): number {
    return this.#byKey.size
  }

  /** Start the flight of `key` (there is none). */
  start(key: string, tags: readonly string[]): Flight {
    let land!: (outcome: Outcome) => void
    const done = new Promise<Outcome>((resolve) => {
      land = resolve
    })
    const flights = this.#byKey
    const flight: Flight = {
      tags,
      invalidated: false,
      followers: 0,
      done,
      land(outcome) {
        if (flights.get(key) === flight) flights.delete(key)
        land(outcome)
      },
    }
    flights.set(key, flight)
    return flight
  }

  /** Mark the flights tagged `tag`: what they bring back is not stored. */
  invalidate(tag: string): void {
    for (const flight of this.#byKey.values()) {
      if (!flight.invalidated && flight.tags.includes(tag)) flight.invalidated = true
    }
  }
}
