/**
 * The one reconnect engine for the SSE streams an upstream sends on
 * Streamable HTTP: a POST's answer stream and the standalone GET stream.
 * Web APIs only: this code ships in the runtime-neutral root entry.
 */
import { SseDecoder, type SseEvent, WireFault } from '../protocol/sse-decoder.js'
import { delay, readEventStream } from './http-body.js'

/** Longest wait between reconnections, unless the server's `retry` asks for more. */
export const MAX_BACKOFF = 30_000

/** How a dropped stream is reconnected. */
export interface ReconnectPolicy {
  /** Milliseconds before the first reconnection when the server sent no `retry`. */
  reconnectDelay: number
  /**
   * Reconnections in a row that deliver nothing (no event, no new event id)
   * before the stream is given up; one that delivers starts the count again.
   * 0: a stream is never reconnected.
   */
  maxReconnects: number
}

/** What one (re)connection got: a stream to read, or why there is none. */
export type Connection =
  | ReadableStream<Uint8Array>
  /** Nothing this time (an HTTP error, a body that is not SSE): counts as a reconnection that delivered nothing. */
  | 'retry'
  /** As `retry`, and the event id no longer means anything (a new session). */
  | 'restart'
  /** Reconnecting cannot help (HTTP 405, an expired session): stop, saying why. */
  | { stop: string }

/** Why {@link readStream} returned. */
export type StreamEnd =
  /** `done()` said the stream did its job (the request's answer arrived). */
  | { end: 'done' }
  /** The stream ended without an event id, so there is nothing to resume (`resumeWithoutId` off). */
  | { end: 'ended' }
  /** `connect` returned `{ stop }`. */
  | { end: 'stopped'; reason: string }
  /** `maxReconnects` reconnections in a row delivered nothing. */
  | { end: 'exhausted'; reconnects: number }

/** Options for {@link readStream}. */
export interface StreamOptions {
  policy: ReconnectPolicy
  /** Largest SSE line or event, in bytes; more throws {@link WireFault}. */
  maxMessageBytes: number
  /** Aborting stops the read (and any wait): `readStream` rejects with its reason. */
  signal: AbortSignal
  /** Each dispatched event, from every connection in turn. */
  onEvent(event: SseEvent): void
  /**
   * The stream already open (a POST's answer); without one, the first
   * `connect` opens it and is no reconnection.
   * @defaultValue none
   */
  first?: ReadableStream<Uint8Array>
  /**
   * Whether a stream that never gave an event id is reconnected. The
   * standalone GET is (a new GET is as good as the old one); a POST's answer
   * stream is not: without `Last-Event-ID`, a GET cannot find it again.
   */
  resumeWithoutId: boolean
  /**
   * True once reading on is pointless; checked whenever a stream ends.
   * @defaultValue never done: read until the policy gives up
   */
  done?(): boolean
  /** Open a connection resuming after `lastEventId` (undefined: none yet). Throwing counts as `retry`. */
  connect(lastEventId: string | undefined, signal: AbortSignal): Promise<Connection>
}

/**
 * Read one logical SSE stream across as many connections as the policy
 * allows. Streamable HTTP §Resumability and Redelivery (2025-11-25): a
 * stream that drops, or that the server closes to make the client poll, is
 * resumed with GET and `Last-Event-ID`; §Sending Messages: the client MUST
 * wait the server's `retry` before reconnecting. The wait is `retry`, else
 * `reconnectDelay`, doubling with each reconnection that delivered nothing,
 * capped at {@link MAX_BACKOFF} (or `retry`, if larger). Rejects with a
 * {@link WireFault} (framing or size) or with the signal's reason.
 */
export async function readStream(options: StreamOptions): Promise<StreamEnd> {
  const { policy, signal } = options
  let delivered = 0
  const decoder = new SseDecoder((event) => {
    delivered++
    options.onEvent(event)
  }, options.maxMessageBytes)
  let stream = options.first
  /** A connection was made before, so the next one is a reconnection. */
  let connected = stream !== undefined
  /** The stream being read came from a reconnection (not the first connection). */
  let reconnection = false
  /** Reconnections in a row that delivered nothing. */
  let fruitless = 0
  for (;;) {
    const before = { delivered, id: decoder.lastEventId }
    if (stream) await drain(stream, decoder, signal)
    const gotSomething = delivered > before.delivered || decoder.lastEventId !== before.id
    if (reconnection) fruitless = gotSomething ? 0 : fruitless + 1
    if (options.done?.()) return { end: 'done' }
    if (decoder.lastEventId === undefined && !options.resumeWithoutId) return { end: 'ended' }
    if (connected) {
      if (fruitless >= policy.maxReconnects) return { end: 'exhausted', reconnects: fruitless }
      await delay(backoff(policy, decoder.retry, fruitless), signal)
    }
    const next = await connect(options, decoder.lastEventId)
    if (typeof next === 'object' && 'stop' in next) return { end: 'stopped', reason: next.stop }
    if (next === 'restart') decoder.lastEventId = undefined
    decoder.reset()
    stream = typeof next === 'string' ? undefined : next
    reconnection = connected
    connected = true
  }
}

/** The server's `retry`, else `reconnectDelay`, doubled for each fruitless reconnection, capped. */
export function backoff(
  policy: ReconnectPolicy,
  retry: number | undefined,
  fruitless: number,
): number {
  const base = retry ?? policy.reconnectDelay
  return Math.min(base * 2 ** fruitless, Math.max(base, MAX_BACKOFF))
}

/** Read one connection to its end; a dropped connection is an end too. */
async function drain(
  stream: ReadableStream<Uint8Array>,
  decoder: SseDecoder,
  signal: AbortSignal,
): Promise<void> {
  try {
    await readEventStream(stream, decoder)
  } catch (error) {
    if (error instanceof WireFault || signal.aborted) throw error
  }
}

async function connect(options: StreamOptions, lastEventId: string | undefined) {
  try {
    return await options.connect(lastEventId, options.signal)
  } catch (error) {
    if (options.signal.aborted) throw error
    return 'retry' as const
  }
}
