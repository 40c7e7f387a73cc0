import { ErrorCode, type Message, type RequestId } from '@mcpx/core'

/**
 * What a channel reports to its owner. Reasons are phrases in the gateway's
 * own words that complete "Upstream "<name>" …" (`could not be reached
 * (ECONNREFUSED)`, `answered HTTP 500`): the owner adds the upstream's name,
 * so a reason never holds a URL, a command, or text from the wire.
 */
export interface ChannelEvents {
  /**
   * One message arrived, parsed but not yet validated (the owner checks it
   * is JSON-RPC). `related` is the id of our own request that the transport
   * delivered it with (a Streamable HTTP response stream), if any.
   */
  message(message: unknown, related?: RequestId): void
  /**
   * One request sent on the channel will never be answered (its POST failed,
   * the server refused it); the rest of the channel lives on. The owner fails
   * that request with `reason`. `overloaded` when the limit hit is the
   * gateway's own (a full queue), not the upstream's.
   *
   * Optional only so that sinks written before it still compile; a channel
   * given none falls back to {@link failRequest}'s error response.
   */
  fail?(id: RequestId, reason: string, overloaded?: boolean): void
  /** The channel is gone; `reason` says why (see above). */
  close(reason: string): void
  /** Diagnostics from the other side or the wire (stderr lines, invalid lines, URLs). Never shown to clients. */
  log?(line: string): void
  /**
   * The server forgot this channel's session and the channel started a new
   * one on its own (Streamable HTTP: a 404, then `initialize` replayed): what
   * the server held for the old session (subscriptions, a logging level) is gone.
   */
  reset?(): void
}

/**
 * A message pipe to one MCP server: framing and the wire only. Requests,
 * ids, progress and cancellation live above it, in a `Peer`.
 */
export interface Channel {
  /**
   * Begin delivering events. Resolves once the channel can carry messages;
   * when it cannot, it calls `events.close(reason)` before it rejects.
   */
  start(events: ChannelEvents): Promise<void>
  /**
   * Write one message. Never throws: failures surface through `events.fail`
   * or `events.close`. `headers` (lower-case names) go on the HTTP request
   * that carries it, where there is one (core's `upstreamHeadersKey`); the
   * channel's own headers and its configured ones win over them.
   */
  send(message: Message, headers?: Readonly<Record<string, string>>): void
  /** Close the wire and release everything it holds (child process, sockets, timers). */
  close(): Promise<void>
}

/** Makes a fresh {@link Channel} to one server; each connection gets its own. */
export interface Connector {
  /** Which transport this is, for logs and metrics: `stdio`, `streamable-http`, `sse`, `websocket`. */
  readonly transport: string
  /** A description for logs that holds no secret (a command name, a URL without credentials). Clients never see it. */
  readonly describe: string
  /**
   * Whether the transport tells which of our requests a server-initiated
   * message belongs to (Streamable HTTP answers on the request's own stream;
   * an in-process SDK server passes `relatedRequestId`). Only then can a
   * shared connection deliver sampling, elicitation and roots requests to
   * the right client, so only then does it declare those capabilities.
   * @defaultValue false
   */
  readonly relatesRequests?: boolean
  open(): Channel
}

/**
 * Fail request `id` through `events.fail`, or, for a sink without it, with a
 * JSON-RPC error response whose message is `Upstream <reason>` (no name:
 * the channel does not know it).
 */
export function failRequest(
  events: ChannelEvents,
  id: RequestId,
  reason: string,
  overloaded = false,
): void {
  if (events.fail) {
    events.fail(id, reason, overloaded)
    return
  }
  const code = overloaded ? ErrorCode.Overloaded : ErrorCode.UpstreamUnavailable
  events.message({ jsonrpc: '2.0', id, error: { code, message: `Upstream ${reason}` } })
}
