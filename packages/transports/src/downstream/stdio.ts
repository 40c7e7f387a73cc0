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
  // Requests received and not yet answered: input may end before their answers are written.
  const unanswered = new Set<RequestId>()
  let drained: (() => void) | undefined
  const write = (message: Message) => {
    if (output.writable) output.write(encodeLine(message))
    if (!('method' in message) && unanswered.delete(message.id!) && unanswered.size === 0)
      drained?.()
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
      if (McpxError.is(message)) write(errorResponse(null, message))
      else {
        if ('method' in message && 'id' in message) unanswered.add(message.id)
        session.receive(message)
      }
    },
    (reason) =>
      write(
        errorResponse(
          null,
          new McpxError(ErrorCode.ParseError, `Parse error: ${reason.split(':')[0]}`),
        ),
      ),
  )
  input.on('data', (chunk: Buffer | string) =>
    decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk),
  )
  const closed = new Promise<void>((resolve) => {
    let ending = false
    const done = () => {
      if (ending) return
      ending = true
      const timer = setTimeout(finish, drainTimeout)
      function finish() {
        clearTimeout(timer)
        drained = undefined
        session.close()
        resolve()
      }
      drained = finish
      if (unanswered.size === 0) finish()
    }
    input.once('end', done)
    input.once('close', done)
  })
  return { session, closed }
}
