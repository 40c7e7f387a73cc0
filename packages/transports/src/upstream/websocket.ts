import { ErrorCode, McpxError, type Message } from '@mcpx/core'
import { WebSocket } from 'ws'
import type { Channel, ChannelEvents, Connector } from '../protocol/channel.js'
import { WEBSOCKET_SUBPROTOCOL } from '../protocol/websocket.js'
import { maxMessageBytesOption } from './connector-options.js'
import { upstreamUrl, withAuthorization } from './url.js'

/** Options for {@link websocket}. */
export interface WebSocketOptions {
  /**
   * The server's endpoint (`ws:` or `wss:`). Credentials in its userinfo
   * (`wss://user:secret@host/mcp`) are sent as HTTP Basic authorization
   * with the handshake, unless `headers` sets `Authorization`; neither they
   * nor the query string appear in `describe`, logs or error messages.
   */
  url: string | URL
  /**
   * Sent with the opening handshake (`authorization`, API keys).
   * @defaultValue `{}`
   */
  headers?: Readonly<Record<string, string>>
  /** Names the upstream in logs (clients only ever see its name). @defaultValue the URL's origin and path, without its query */
  describe?: string
  /**
   * Largest message the server may send, in bytes; a bigger one ends the
   * connection (close code 1009).
   * @defaultValue 64 MiB
   */
  maxMessageBytes?: number
  /** Milliseconds between closing the socket and dropping it when the server does not answer the close. @defaultValue 2000 */
  closeTimeout?: number
}

interface Settings {
  url: URL
  headers: Record<string, string>
  maxMessageBytes: number
  closeTimeout: number
}

/**
 * Connect to an MCP server over WebSocket: subprotocol `mcp`, one JSON-RPC
 * message per text frame. When the socket closes, the connection ends and
 * every request pending on it fails at once. Needs the `ws` package.
 *
 * @example
 * ```ts
 * const remote = upstream('remote', websocket({ url: 'ws://127.0.0.1:3002/mcp', headers: { authorization: `Bearer ${token}` } }))
 * ```
 */
export function websocket(options: WebSocketOptions): Connector {
  const { url, describe, authorization } = upstreamUrl(options?.url, 'websocket', ['ws:', 'wss:'])
  const maxMessageBytes = maxMessageBytesOption(
    'websocket',
    options.maxMessageBytes,
    64 * 1024 * 1024,
  )
  const closeTimeout = options.closeTimeout ?? 2000
  if (!(closeTimeout >= 0)) {
    throw new TypeError('[@mcpx/transports] websocket(): closeTimeout must be >= 0')
  }
  // ws would send userinfo itself; taking it out here makes an explicit header win, as elsewhere.
  const headers = withAuthorization({ ...options.headers }, authorization)
  const settings: Settings = { url, headers, maxMessageBytes, closeTimeout }
  return {
    transport: 'websocket',
    describe: options.describe ?? describe,
    open: () => new WebSocketChannel(settings),
  }
}

class WebSocketChannel implements Channel {
  readonly #settings: Settings
  #socket: WebSocket | undefined
  #closed: Promise<void> | undefined

  constructor(settings: Settings) {
    this.#settings = settings
  }

  start(events: ChannelEvents): Promise<void> {
    const { url, headers, maxMessageBytes } = this.#settings
    const socket = new WebSocket(url, WEBSOCKET_SUBPROTOCOL, {
      headers,
      maxPayload: maxMessageBytes,
      perMessageDeflate: false,
      // A redirect could take the headers (credentials) elsewhere.
      followRedirects: false,
    })
    this.#socket = socket
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('message', (data: Buffer, isBinary: boolean) => receive(events, data, isBinary))
    let failure: string | undefined
    let opened = false
    socket.on('error', (error: Error & { code?: unknown }) => {
      events.log?.(`WebSocket error: ${error.message}`)
      failure ??= describeError(error, maxMessageBytes)
    })
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        opened = true
        resolve()
      })
      socket.once('close', (code: number) => {
        if (opened) {
          events.close(`closed the WebSocket (${failure ?? `code ${code}`})`)
          return
        }
        const reason = `could not open a WebSocket (${failure ?? `code ${code}`})`
        events.close(reason)
        reject(new McpxError(ErrorCode.UpstreamUnavailable, `Upstream ${reason}`))
      })
    })
  }

  send(message: Message): void {
    const socket = this.#socket
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message))
  }

  async close(): Promise<void> {
    const socket = this.#socket
    if (!socket || !this.#closed) return
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
      socket.close(1000)
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#settings.closeTimeout)
    })
    try {
      await Promise.race([this.#closed, timeout])
    } finally {
      clearTimeout(timer)
    }
    // The server did not answer the close frame in time: drop the TCP connection.
    if (socket.readyState !== WebSocket.CLOSED) {
      socket.terminate()
      await this.#closed
    }
  }
}

function receive(events: ChannelEvents, data: Buffer, isBinary: boolean): void {
  if (isBinary) {
    events.log?.('dropped a binary frame: MCP over WebSocket sends text frames')
    return
  }
  let value: unknown
  try {
    value = JSON.parse(data.toString('utf8'))
  } catch {
    // The frame boundary survives a bad frame, unlike a stdio line: drop it and carry on.
    events.log?.(`dropped a text frame that is not JSON (${data.length} bytes)`)
    return
  }
  events.message(value)
}

/** A short reason without addresses (the full text goes to the log). */
function describeError(error: Error & { code?: unknown }, maxMessageBytes: number): string {
  if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return `sent a message over ${maxMessageBytes} bytes`
  }
  // ws reports a refused handshake as "Unexpected server response: 401".
  const status = /Unexpected server response: (\d+)/.exec(error.message)?.[1]
  if (status) return `the handshake got HTTP ${status}`
  // System errors (ECONNREFUSED) name the address in their message; ws's own do not.
  if (typeof error.code === 'string' && !error.code.startsWith('WS_ERR_')) return error.code
  return error.message
}
