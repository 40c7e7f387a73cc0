import type { Readable, Writable } from 'node:stream'
import {
  ErrorCode,
  type ErrorHandler,
  errorResponse,
  type McpProxy,
  McpxError,
  type Message,
  type RequestId,
  validateMessage,
} from '@mcpx/core'
import { encodeLine, LineDecoder } from '../protocol/line-decoder.js'
import { Session } from '../protocol/session.js'

/** Options for {@link serveStdio}. */
export interface ServeStdioOptions {
  /** @defaultValue `process.stdin` */
  input?: Readable
  /** @defaultValue `process.stdout` */
  output?: Writable
  /** Non-`McpxError`s thrown while answering: the same handler shape as `createProxy`'s. */
  onError?: ErrorHandler
  /**
   * Milliseconds to keep answering requests already received after input
   * ends (`printf '…' | mcpx-gateway --serve stdio`); then they are cancelled.
   * @defaultValue 30000
   */
  drainTimeout?: number
}

/**
 * Serve a proxy over stdio: the gateway as a desktop client's local MCP
 * server. One session for the life of the process. When input ends, the
 * requests already received are still answered (up to `drainTimeout`), then
 * the session ends and `closed` resolves.
 *
 * @example
 * ```ts
 * const { closed } = serveStdio(createProxy({ terminal: forward(files) }))
 * await closed
 * ```
 */
export function serveStdio(
  proxy: McpProxy,
  options: ServeStdioOptions = {},
): { session: Session; closed: Promise<void> } {
  const input = options.input ?? process.stdin
  const output = options.output ?? process.stdout
  const drainTimeout = options.drainTimeout ?? 30_000
  if (!(drainTimeout >= 0)) throw new TypeError('[@mcpx/transports] drainTimeout must be >= 0')
  const onError = options.onError
  const inFlight = new InFlight()
  const write = (message: Message) => {
    if (output.writable) output.write(encodeLine(message))
    inFlight.sent(message)
  }
  const session = new Session({
    proxy,
    info: { id: undefined, transport: 'stdio' },
    send: write,
    onError: onError && ((error) => onError(error, { method: undefined })),
  })
  const decoder = new LineDecoder(
    (value) => {
      const message = validateMessage(value)
      if (McpxError.is(message)) return write(errorResponse(null, message))
      inFlight.received(message)
      session.receive(message)
    },
    (reason) => {
      const error = new McpxError(ErrorCode.ParseError, `Parse error: ${reason.split(':')[0]}`)
      write(errorResponse(null, error))
    },
  )
  input.on('data', (chunk: Buffer | string) =>
    decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk),
  )
  const ended = new Promise<void>((resolve) => {
    input.once('end', resolve)
    input.once('close', resolve)
  })
  const closed = ended.then(() => inFlight.drained(drainTimeout)).then(() => session.close())
  return { session, closed }
}

/** The client's requests not yet answered: input may end before their answers are written. */
class InFlight {
  readonly #ids = new Set<RequestId>()
  #onEmpty: (() => void) | undefined

  received(message: Message): void {
    if (!('method' in message)) return
    if ('id' in message) this.#ids.add(message.id)
    // A cancelled request gets no answer (MCP cancellation §Behavior): it is not waited for.
    else if (message.method === 'notifications/cancelled') {
      this.#settle(message.params?.requestId as RequestId)
    }
  }

  sent(message: Message): void {
    if (!('method' in message) && message.id !== null) this.#settle(message.id)
  }

  /** Resolves once nothing is in flight, or after `ms`. */
  drained(ms: number): Promise<void> {
    if (this.#ids.size === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.#onEmpty = done
    })
  }

  #settle(id: RequestId): void {
    if (this.#ids.delete(id) && this.#ids.size === 0) this.#onEmpty?.()
  }
}
