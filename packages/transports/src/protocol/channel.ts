import type { Message, RequestId } from '@mcpx/core'

/** What a channel reports to its owner. */
export interface ChannelEvents {
  /**
   * One message arrived, parsed but not yet validated (the owner checks it
   * is JSON-RPC). `related` is the id of our own request that the transport
   * delivered it with (a Streamable HTTP response stream), if any.
   */
  message(message: unknown, related?: RequestId): void
  /** The channel is gone; `reason` says why, for errors that name the upstream. */
  close(reason: string): void
  /** Diagnostics from the other side or the wire (stderr lines, invalid lines). */
  log?(line: string): void
}

/**
 * A message pipe to one MCP server: framing and the wire only. Requests,
 * ids, progress and cancellation live above it, in a `Peer`.
 */
export interface Channel {
  /** Begin delivering events. Resolves once the channel can carry messages. */
  start(events: ChannelEvents): Promise<void>
  /** Write one message. Never throws: failures surface through `close` (or a synthesised error response). */
  send(message: Message): void
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
