/** One failure, ordered against the others of its router by `at`. */
export interface Failure {
  readonly message: string
  readonly at: number
}

let sequence = 0

/** The next position in the order of answers and failures (a counter: the clock can tie). */
export function tick(): number {
  return ++sequence
}

/** A failure now, with the message a client would get for it (nothing internal). */
export function failureOf(message: string): Failure {
  return { message, at: tick() }
}
