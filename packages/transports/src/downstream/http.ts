import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, errorResponse, McpxError, type Message, parseMessage } from '@mcpx/core'

/** The Host/Origin allow-lists every HTTP front end (Streamable HTTP, legacy SSE, WebSocket) applies. */
export interface HostOriginOptions {
  /**
   * Host names (port ignored) the `Host` header may carry: DNS-rebinding
   * protection. `false` turns the check off (only behind a proxy that checks).
   * @defaultValue `['localhost', '127.0.0.1', '[::1]']`
   */
  allowedHosts?: readonly string[] | false
  /**
   * Origins (`scheme://host[:port]`) a browser may call from. Requests
   * without an `Origin` header are not browser requests and pass.
   * `false` turns the check off.
   * @defaultValue any origin whose host is a loopback name
   */
  allowedOrigins?: readonly string[] | false
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']

function hostnameOf(value: string): string {
  // "[::1]:3000" → "[::1]"; "localhost:3000" → "localhost"
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1).toLowerCase()
  const colon = value.indexOf(':')
  return (colon === -1 ? value : value.slice(0, colon)).toLowerCase()
}

/**
 * Compile the allow-lists once. The check returns why a request may not
 * proceed (answer 403 with it), or undefined when it may.
 */
export function hostOriginGuard(
  options: HostOriginOptions,
): (headers: IncomingHttpHeaders) => string | undefined {
  const hosts =
    options.allowedHosts === false
      ? undefined
      : new Set((options.allowedHosts ?? LOOPBACK).map((h) => h.toLowerCase()))
  const origins =
    options.allowedOrigins === false
      ? undefined
      : options.allowedOrigins
        ? new Set(options.allowedOrigins)
        : 'loopback'

  function originAllowed(origin: string): boolean {
    if (origins === undefined) return true
    if (origins !== 'loopback') return origins.has(origin)
    try {
      return LOOPBACK.includes(new URL(origin).hostname.toLowerCase())
    } catch {
      return false
    }
  }

  return (headers) => {
    if (hosts && !hosts.has(hostnameOf(headers.host ?? ''))) return 'Forbidden: Host not allowed'
    const origin = headers.origin
    if (origin !== undefined && !originAllowed(origin)) return 'Forbidden: Origin not allowed'
    return undefined
  }
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
}
export const JSON_HEADERS = { 'content-type': 'application/json' }

/** Answer with a JSON body (or none). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.end()
    return
  }
  res.writeHead(status, headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS)
  res.end(body === undefined ? undefined : JSON.stringify(body))
}

/** Answer with a JSON-RPC error that has no request id (the request could not be read or was refused). */
export function fail(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): void {
  sendJson(res, status, errorResponse(null, new McpxError(code, message)), headers)
}

/** Answer 415 unless the body is declared as JSON; returns whether it is. */
export function requireJson(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers['content-type']?.includes('application/json')) return true
  fail(
    res,
    415,
    ErrorCode.InvalidRequest,
    'Unsupported Media Type: Content-Type must be application/json',
  )
  return false
}

/**
 * Read one JSON-RPC message from a request body: 413 before parsing when it
 * is (or grows) larger than `maxBytes`, 400 with -32700 when it is not JSON,
 * 400 with -32600 when it is not one JSON-RPC message. Calls `done` only with
 * a valid message.
 */
export function readMessage(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  done: (message: Message) => void,
): void {
  const tooLarge = () => {
    fail(res, 413, ErrorCode.InvalidRequest, `Payload Too Large: the limit is ${maxBytes} bytes`, {
      connection: 'close',
    })
    req.resume()
  }
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) {
    tooLarge()
    return
  }
  const chunks: Buffer[] = []
  let size = 0
  req.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size > maxBytes) {
      if (!res.headersSent) tooLarge()
      return
    }
    chunks.push(chunk)
  })
  req.on('end', () => {
    if (size > maxBytes) return
    const text =
      chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')
    const message = parseMessage(text)
    if (McpxError.is(message)) sendJson(res, 400, errorResponse(null, message))
    else done(message)
  })
}

/**
 * Write to a long-lived stream unless the client stopped reading: past
 * `maxBuffered` unsent bytes the stream is destroyed (and `onOverflow`
 * told), so a slow client cannot grow the gateway's memory without bound.
 */
export function writeBounded(
  res: ServerResponse,
  text: string,
  maxBuffered: number,
  onOverflow: () => void,
): void {
  if (res.writableEnded || res.destroyed) return
  if (res.writableLength > maxBuffered) {
    onOverflow()
    res.destroy()
    return
  }
  res.write(text)
}
