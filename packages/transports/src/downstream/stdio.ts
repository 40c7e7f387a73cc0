import type { Readable, Writable } from 'node:stream'
import { ErrorCode, errorResponse, type McpProxy, McpxError, validateMessage } from '@mcpx/core'
import { encodeLine, LineDecoder } from '../protocol/line-decoder.js'
import { Session } from '../protocol/session.js'

/** Options for {@link serveStdio}. */
export interface ServeStdioOptions {
  /** @defaultValue `process.stdin` */
  input?: Readable
  /** @defaultValue `process.stdout` */
  output?: Writable
  /** Non-`McpxError`s thrown while answering. */
  onError?(error: unknown): void
}

/**
 * Serve a proxy over stdio: the gateway as a desktop client's local MCP
 * server. One session for the life of the process; it ends when input ends.
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
  const write = (message: unknown) => {
    if (output.writable) output.write(encodeLine(message))
  }
  const session = new Session({
    proxy,
    info: { id: undefined, transport: 'stdio' },
    send: write,
    onError: options.onError,
  })
  const decoder = new LineDecoder(
    (value) => {
      const message = validateMessage(value)
      if (McpxError.is(message)) write(errorResponse(null, message))
      else session.receive(message)
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
    const done = () => {
      session.close()
      resolve()
    }
    input.once('end', done)
    input.once('close', done)
  })
  return { session, closed }
}
