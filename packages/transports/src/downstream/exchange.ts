import { type McpxError, type Message, parseMessage, validateMessage } from '@mcpx/core'

/**
 * One HTTP request and its response, as the Streamable HTTP front end sees
 * them whatever the server runtime: `node:http` (node-exchange.ts) or the
 * web-standard `Request`/`Response` (fetch-handler.ts). The protocol logic
 * is written once against this.
 */
export interface HttpExchange {
  readonly method: string
  /** Path and query. */
  readonly url: string
  /** Request headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly remoteAddress: string | undefined
  /**
   * The body: its text, a value a body parser already made (Express's
   * `req.body`), or {@link TOO_LARGE} when it is (or grows) larger than
   * `maxBytes`, found before it is parsed. Rejects when the body cannot be
   * read at all (the client went away, or another middleware consumed it).
   */
  body(maxBytes: number): Promise<string | ParsedBody | typeof TOO_LARGE>
  /** Answer with a JSON body, or with no body when `body` is undefined. */
  json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): void
  /** Answer 200 with a `text/event-stream` body, written by the returned writer. */
  sse(headers?: Readonly<Record<string, string>>): SseWriter
  /** Called once if the client goes away before the response has ended. */
  onClose(listener: () => void): void
}

/** A body a parser in front of the handler already turned into a value. */
export interface ParsedBody {
  readonly parsed: unknown
}

export const TOO_LARGE: unique symbol = Symbol('too large')

/** The open end of an SSE response. */
export interface SseWriter {
  /**
   * Write raw `text/event-stream` text. A client that stopped reading does
   * not make the gateway buffer without bound: past the front end's
   * `maxBufferedBytes` the stream is closed (and `onClose` listeners run).
   */
  write(text: string): void
  end(text?: string): void
  /** False once ended or gone. */
  readonly open: boolean
}

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
}
export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
}

/** The one JSON-RPC message a body holds, or the -32700/-32600 error to answer it with (HTTP 400). */
export function messageOf(body: string | ParsedBody): Message | McpxError {
  return typeof body === 'string' ? parseMessage(body) : validateMessage(body.parsed)
}
