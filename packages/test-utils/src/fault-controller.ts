import { type CallToolResult, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { seededRandom } from './seeded-random.js'

/**
 * Faults a {@link createFaultyServer} applies to each `tools/call` (its `faults` and `stats`
 * tools excepted: they are how a test steers and reads the server, so they always answer and
 * are not counted). Every field is optional; `{}` is a well-behaved server.
 *
 * The `…After` counts start at 0 when the faults take effect: at start-up, and again whenever
 * they are replaced (`set()`, `clear()`, the `faults` tool). They count calls received, in
 * the order they arrive, across every session sharing one {@link FaultController}.
 */
export interface FaultOptions {
  /**
   * Delay before each call runs: a fixed number of ms, or `[min, max]` drawn uniformly.
   * @defaultValue 0
   */
  latencyMs?: number | readonly [number, number]
  /**
   * Probability (0..1) that a call fails instead of running, decided after the latency.
   * @defaultValue 0
   */
  errorRate?: number
  /**
   * How an injected failure is answered: `'jsonrpc'` is a JSON-RPC error -32603 (Internal
   * error, what a crashing handler produces); `'result'` is a tool result with `isError: true`
   * (a tool reporting its own failure, which the protocol counts as a success).
   * @defaultValue `'jsonrpc'`
   */
  errorAs?: 'jsonrpc' | 'result'
  /**
   * faulty-http only: probability (0..1) that a POST carrying a `tools/call` is answered
   * HTTP 500 before it reaches the MCP session. Such calls are not counted as received.
   * @defaultValue 0
   */
  httpErrorRate?: number
  /** The first N calls are answered; every later one gets no answer, ever. @defaultValue none */
  hangAfter?: number
  /**
   * The process exits with code 1 the moment the Nth call arrives, before answering it (N-1
   * calls answered). This ends the process it runs in: use it in the bins, not in-process.
   * @defaultValue none
   */
  crashAfter?: number
  /**
   * When the Nth call arrives a line that is not JSON is written to stdout, once; the call
   * is then answered as usual. Meaningful over stdio only, where stdout is the protocol.
   * @defaultValue none
   */
  garbageAfter?: number
  /** Seeds the random draws (latency, errorRate, httpErrorRate). @defaultValue a random seed */
  seed?: number
}

/** What a {@link FaultController} has seen, as the `stats` tool returns it. */
export interface FaultStats {
  pid: number
  /** Calls received since start-up (faults and stats excepted). */
  received: number
  /** Calls answered with a result, injected `isError` results included. */
  answered: number
  /** Injected failures (either `errorAs`). */
  errors: number
  /** Calls left unanswered by `hangAfter`. */
  hung: number
  /** Hung calls the client cancelled (`notifications/cancelled`): proof that a timeout reached the server. */
  cancelled: number
  /** POSTs answered HTTP 500 by `httpErrorRate`. */
  http500: number
}

/**
 * The faults and counters of one process (or of every session of one faulty-http), shared
 * by the servers made with it, changeable while they run.
 */
export interface FaultController {
  /** The faults in effect, validated. */
  readonly faults: Readonly<FaultOptions>
  /** Replaces the faults (validated; throws a TypeError), restarting the `…After` counts. */
  set(faults: FaultOptions): void
  /** `set({})`. */
  clear(): void
  stats(): FaultStats
  /** Runs one call under the faults; `createFaultyServer`'s tools go through it. */
  run(signal: AbortSignal, call: () => Promise<CallToolResult>): Promise<CallToolResult>
  /** Draws whether the next POST gets HTTP 500 (`httpErrorRate`), counting it if so. */
  httpError(): boolean
}

const MAX_LATENCY_MS = 10 * 60_000
const rate = z.number().min(0).max(1)
const count = (min: number) => z.number().int().min(min)
const ms = z.number().int().min(0).max(MAX_LATENCY_MS)

/** The schema of {@link FaultOptions}: the `faults` tool's input and the bins' config. */
export const faultOptionsSchema = z
  .object({
    latencyMs: z
      .union([ms, z.tuple([ms, ms]).refine(([lo, hi]) => lo <= hi, 'min must be <= max')])
      .optional(),
    errorRate: rate.optional(),
    errorAs: z.enum(['jsonrpc', 'result']).optional(),
    httpErrorRate: rate.optional(),
    hangAfter: count(0).optional(),
    crashAfter: count(1).optional(),
    garbageAfter: count(1).optional(),
    seed: z.number().int().optional(),
  })
  .strict()

/** Validates `faults`; throws a TypeError naming the bad field. */
export function validateFaults(faults: unknown): FaultOptions {
  const parsed = faultOptionsSchema.safeParse(faults)
  if (parsed.success) return parsed.data
  const first = parsed.error.issues[0]!
  const at = first.path.length > 0 ? `${first.path.join('.')}: ` : ''
  throw new TypeError(`[@mcpx/test-utils] fault options: ${at}${first.message}`)
}

/**
 * Waits `ms`, or rejects once `signal` aborts. The global setTimeout, not timers/promises, so
 * that tests with fake timers control it.
 */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const done = () => {
      signal.removeEventListener('abort', abort)
      resolve()
    }
    const abort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', abort, { once: true })
  })
}

const GARBAGE = 'this line is not JSON-RPC (an injected fault)\n'

/**
 * Holds {@link FaultOptions} and the counters they act on. Give one controller to several
 * servers (faulty-http gives it to every session's) so that they fail as one process would.
 *
 * @example
 * ```ts
 * const faults = createFaultController({ errorRate: 0.5, seed: 7 })
 * const server = createFaultyServer(faults)
 * // … later, mid-test:
 * faults.set({ hangAfter: 0 })
 * ```
 */
export function createFaultController(initial: FaultOptions = {}): FaultController {
  let faults = validateFaults(initial)
  let draw = seededRandom(faults.seed ?? Math.floor(Math.random() * 2 ** 32))
  let sinceSet = 0
  const stats = { received: 0, answered: 0, errors: 0, hung: 0, cancelled: 0, http500: 0 }

  const latency = () => {
    const { latencyMs = 0 } = faults
    if (typeof latencyMs === 'number') return latencyMs
    const [lo, hi] = latencyMs
    return lo + Math.floor(draw() * (hi - lo + 1))
  }

  const controller: FaultController = {
    get faults() {
      return faults
    },
    set(next) {
      faults = validateFaults(next)
      draw = seededRandom(faults.seed ?? Math.floor(Math.random() * 2 ** 32))
      sinceSet = 0
    },
    clear: () => controller.set({}),
    stats: () => ({ pid: process.pid, ...stats }),
    async run(signal, call) {
      // Read once: a `set()` during the latency applies to later calls, not to this one.
      const current = faults
      const n = ++sinceSet
      stats.received++
      if (current.crashAfter !== undefined && n >= current.crashAfter) process.exit(1)
      if (current.hangAfter !== undefined && n > current.hangAfter) {
        stats.hung++
        // Never answered; a cancellation is counted (and sends nothing back, as MCP requires).
        return new Promise<never>((_, reject) => {
          signal.addEventListener(
            'abort',
            () => {
              stats.cancelled++
              reject(signal.reason)
            },
            { once: true },
          )
        })
      }
      if (current.garbageAfter === n) process.stdout.write(GARBAGE)
      const wait = latency()
      if (wait > 0) await delay(wait, signal)
      if ((current.errorRate ?? 0) > 0 && draw() < current.errorRate!) {
        stats.errors++
        const message = 'Internal error (injected fault)'
        if ((current.errorAs ?? 'jsonrpc') === 'jsonrpc') {
          throw new McpError(ErrorCode.InternalError, message)
        }
        stats.answered++
        return { content: [{ type: 'text', text: message }], isError: true }
      }
      const result = await call()
      stats.answered++
      return result
    },
    httpError() {
      const failed = (faults.httpErrorRate ?? 0) > 0 && draw() < faults.httpErrorRate!
      if (failed) stats.http500++
      return failed
    },
  }
  return controller
}
