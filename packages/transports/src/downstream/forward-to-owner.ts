import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { ErrorCode } from '@mcpx/core'
import { fail } from './node-io.js'

/** The header a forwarded request carries the replicas' shared secret in. */
export const REPLICA_HEADER = 'mcpx-replica-secret'
/**
 * The header a forwarded request carries its client's address in: the
 * owner takes it for the request's `remoteAddress` only when the secret
 * checks, and removes it from any other request.
 */
export const ADDRESS_HEADER = 'mcpx-replica-client-address'

/** RFC 9110 §7.6.1: headers for one connection only, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** A `Connection` value that names no header: what nearly every client sends. */
const PLAIN_CONNECTION = /^[ \t]*(?:keep-alive|close)[ \t]*$/i

/** The end-to-end headers of `headers`: hop-by-hop ones and those `Connection` names dropped. */
export function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connection = headers.connection
  // Per forwarded request, twice (the request, the answer): the common `Connection` costs one test.
  const listed =
    connection === undefined || PLAIN_CONNECTION.test(connection)
      ? undefined
      : new Set(
          connection
            .toLowerCase()
            .split(',')
            .map((token) => token.trim()),
        )
  const out: OutgoingHttpHeaders = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || HOP_BY_HOP.has(name) || listed?.has(name)) continue
    out[name] = value
  }
  return out
}

/** What a front end's forwarder keeps: one keep-alive agent per scheme, the secret, the connect bound. */
export class Forwarder {
  readonly #secret: string
  readonly #connectTimeout: number
  // Keep-alive: a forwarded request costs one loopback or LAN hop, not a new connection each time.
  // No socket cap: each forwarded request stands for one request this server accepted (a GET
  // holds its socket for the life of its stream), so the server's own limits bound them.
  // No Nagle: a request's headers and body must not wait for each other's ACK.
  readonly #http = new HttpAgent({ keepAlive: true, scheduling: 'lifo', noDelay: true })
  readonly #https = new HttpsAgent({ keepAlive: true, scheduling: 'lifo', noDelay: true })

  constructor(secret: string, connectTimeout: number) {
    this.#secret = secret
    this.#connectTimeout = connectTimeout
  }

  /**
   * Send `req` to `owner` as it came (method, path, end-to-end headers,
   * body streamed) and pipe the answer back, SSE streams included. When
   * no connection to the owner could be made, `unreachable()` answers
   * instead; when the owner answers 404 (it no longer has the session),
   * `lost()` is told before the answer is relayed. A client that goes away
   * aborts the forwarded request.
   */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    owner: URL,
    unreachable: () => void,
    lost: () => void,
  ): void {
    const headers = endToEnd(req.headers)
    headers[REPLICA_HEADER] = this.#secret
    // The owner sees the client's address, not this replica's (an `authenticate` hook keyed on it).
    const address = req.socket.remoteAddress
    if (address) headers[ADDRESS_HEADER] = address
    else delete headers[ADDRESS_HEADER]
    // A body parser before the handler read the body: send what it kept, as the local path reads
    // it (readBody): text and bytes as they are, anything else as JSON; it is no longer encoded.
    const parsed = (req as { body?: unknown }).body
    const body =
      parsed === undefined
        ? undefined
        : Buffer.isBuffer(parsed)
          ? parsed
          : Buffer.from(typeof parsed === 'string' ? parsed : JSON.stringify(parsed))
    if (body) {
      headers['content-length'] = body.length
      delete headers['content-encoding']
    }
    // Read by something that kept nothing: the owner gets no body and answers as it would here.
    else if (req.readableEnded) headers['content-length'] = 0
    const https = owner.protocol === 'https:'
    const out = (https ? httpsRequest : httpRequest)({
      protocol: owner.protocol,
      hostname: owner.hostname.replace(/^\[|\]$/g, ''),
      port: owner.port,
      method: req.method,
      path: (req as { originalUrl?: string }).originalUrl ?? req.url,
      headers,
      agent: https ? this.#https : this.#http,
    })
    let connected = false
    // Only the connection has a deadline, not the exchange: a long tools/call answered as JSON
    // sends its headers only with its answer, and the client's own timeout bounds it (closing
    // its request aborts this one). A reused keep-alive socket is connected already: no timer.
    out.once('socket', (socket) => {
      if (!socket.connecting) {
        connected = true
        return
      }
      const timer = setTimeout(
        () => out.destroy(new Error('connect timeout')),
        this.#connectTimeout,
      )
      socket.once('connect', () => {
        connected = true
        clearTimeout(timer)
      })
      out.once('close', () => clearTimeout(timer))
    })
    out.once('response', (answer) => {
      if (answer.statusCode === 404) lost()
      relay(answer, res)
    })
    let failed = false
    // `on`, not `once`: a second error (a destroy after the first) must not go unheard and crash.
    out.on('error', () => {
      // The client went away first (and aborted this): the owner is not to blame.
      if (failed || res.destroyed) return
      failed = true
      if (res.headersSent) return void res.destroy()
      if (!connected) return unreachable()
      fail(res, 502, ErrorCode.InternalError, "Bad Gateway: the session's replica failed")
    })
    res.once('close', () => {
      if (!res.writableFinished) out.destroy()
    })
    send(req, out, body)
  }

  /**
   * Drop the idle keep-alive sockets, and each busy one once its exchange
   * ends: a forwarded request in flight (an SSE stream too) is not cut here.
   * What ends those is the front end's own drain (`listen().shutdown()`
   * waits for calls, then drops the client connections, which aborts their
   * forwards).
   */
  close(): void {
    for (const agent of [this.#http, this.#https]) {
      // Not `destroy()`: that ends the sockets in use as well. Without keep-alive, a socket
      // is destroyed when its request is done instead of going back to the pool.
      Object.assign(agent, { keepAlive: false })
      for (const sockets of Object.values(agent.freeSockets)) {
        for (const socket of sockets ?? []) socket.destroy()
      }
    }
  }
}

function send(req: IncomingMessage, out: ClientRequest, body: Buffer | undefined): void {
  if (body || req.readableEnded) return void out.end(body)
  req.on('error', () => out.destroy())
  req.pipe(out)
}

function relay(answer: IncomingMessage, res: ServerResponse): void {
  if (res.destroyed) return void answer.destroy()
  res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers))
  // An SSE answer may send nothing for a while: the client must see its headers now. A JSON
  // answer's headers go out with its body.
  if (answer.headers['content-type']?.startsWith('text/event-stream')) res.flushHeaders()
  answer.on('error', () => res.destroy())
  answer.pipe(res)
  answer.once('close', () => {
    if (!answer.complete) res.destroy()
  })
}
