import { type McpProxy, McpxError } from '@mcpx/core'
import { readBounded } from '../protocol/read-bounded.js'
import {
  type HttpExchange,
  JSON_HEADERS,
  type ParsedBody,
  SSE_HEADERS,
  type SseWriter,
  TOO_LARGE,
} from './exchange.js'
import type { FrontEnd } from './front-end.js'
import { type StreamableHttpFrontEndOptions, StreamableHttpServer } from './streamable-http.js'

/** A web-standard request handler: Hono, Bun, Deno, Cloudflare Workers, Node's own `Request`. */
export interface FetchHandler {
  (request: Request): Promise<Response>
  /** Sessions open now. */
  readonly sessionCount: number
  /** End every session and stop the front end's timers. */
  close(): Promise<void>
}

/** Options for {@link createStreamableHttpFetchHandler}. */
export interface FetchHandlerOptions extends StreamableHttpFrontEndOptions {
  /**
   * The client's address, where the runtime knows it (`server.requestIP(request)` in Bun).
   * @defaultValue none: `ctx.session.remoteAddress` is undefined
   */
  remoteAddress?: (request: Request) => string | undefined
}

const encoder = new TextEncoder()

/**
 * Serve a proxy as an MCP Streamable HTTP endpoint on any runtime with
 * web-standard `Request` and `Response`: the same protocol, sessions,
 * resumability and hooks as the `node:http` handler, with no `node:` import.
 * Route the endpoint's path to it yourself.
 *
 * @example
 * ```ts
 * const mcp = createStreamableHttpFetchHandler(createProxy({ terminal: forward(search) }))
 * app.all('/mcp', (c) => mcp(c.req.raw)) // Hono
 * ```
 */
export function createStreamableHttpFetchHandler(
  proxy: McpProxy,
  options: FetchHandlerOptions = {},
): FetchHandler {
  const server = new StreamableHttpServer(proxy, options)
  const fe = server.frontEnd
  const address = options.remoteAddress
  const handler = ((request: Request) =>
    new Promise<Response>((resolve) => {
      const exchange = new FetchExchange(request, resolve, fe, address?.(request))
      void server.handle(exchange)
    })) as FetchHandler
  Object.defineProperty(handler, 'sessionCount', { get: () => server.sessions.size })
  handler.close = async () => server.close()
  return handler
}

class FetchExchange implements HttpExchange {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly remoteAddress: string | undefined
  readonly #request: Request
  readonly #respond: (response: Response) => void
  readonly #fe: FrontEnd
  readonly #closeListeners: (() => void)[] = []
  #ended = false

  constructor(
    request: Request,
    respond: (response: Response) => void,
    fe: FrontEnd,
    remoteAddress: string | undefined,
  ) {
    this.#request = request
    this.#respond = respond
    this.#fe = fe
    this.method = request.method
    const url = new URL(request.url)
    this.url = `${url.pathname}${url.search}`
    // Headers iterate with lower-case names. A Request made in process may have no Host: its URL says it.
    this.headers = Object.fromEntries(request.headers)
    this.headers.host ??= url.host
    this.remoteAddress = remoteAddress
    request.signal?.addEventListener('abort', () => this.#gone(), { once: true })
  }

  async body(maxBytes: number): Promise<string | ParsedBody | typeof TOO_LARGE> {
    const declared = this.headers['content-length']
    if (declared !== undefined && Number(declared) > maxBytes) return TOO_LARGE
    const text = await readBounded(this.#request.body, maxBytes)
    return text ?? TOO_LARGE
  }

  json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): void {
    this.#ended = true
    const text = body === undefined ? null : JSON.stringify(body)
    this.#respond(new Response(text, { status, headers: { ...JSON_HEADERS, ...headers } }))
  }

  sse(headers?: Readonly<Record<string, string>>): SseWriter {
    let controller!: ReadableStreamDefaultController<Uint8Array>
    let open = true
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c
        },
        cancel: () => {
          open = false
          this.#gone()
        },
      },
      // desiredSize then counts bytes the client has not read yet.
      new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
    )
    this.#respond(new Response(stream, { status: 200, headers: { ...SSE_HEADERS, ...headers } }))
    const fe = this.#fe
    return {
      write: (text) => {
        if (!open) return
        if ((controller.desiredSize ?? 0) < -fe.maxBufferedBytes) {
          open = false
          fe.onError(new Error('the client stopped reading a stream; closed it'), {
            method: undefined,
          })
          controller.error(new McpxError(-32000, 'client stopped reading'))
          this.#gone()
          return
        }
        controller.enqueue(encoder.encode(text))
      },
      end: (text) => {
        if (!open) return
        if (text) controller.enqueue(encoder.encode(text))
        open = false
        this.#ended = true
        controller.close()
      },
      get open() {
        return open
      },
    }
  }

  onClose(listener: () => void): void {
    this.#closeListeners.push(listener)
  }

  #gone(): void {
    if (this.#ended) return
    this.#ended = true
    for (const listener of this.#closeListeners.splice(0)) listener()
  }
}
