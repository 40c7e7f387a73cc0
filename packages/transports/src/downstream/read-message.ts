import { ErrorCode, errorResponse, McpxError, type Message } from '@mcpx/core'
import { type HttpExchange, messageOf, TOO_LARGE } from './exchange.js'
import type { FrontEnd } from './front-end.js'
import { httpAnswerForThrown } from './http-answer.js'

/**
 * Read the one JSON-RPC message a POST carries, for every HTTP front end,
 * and hand it to `take`: 415 unless it is declared JSON, 413 before parsing
 * when it is too large, 400 with -32700/-32600 when it is not one JSON-RPC
 * message, 500 when it cannot be read at all (a body parser consumed it;
 * the log says what to do). Those answers are given here and `take` is not
 * called. What `take` throws is reported and answered 500. Callbacks rather
 * than a promise chain: this runs once per POST, on the hot path.
 */
export function readPostedMessage(
  ex: HttpExchange,
  fe: FrontEnd,
  take: (message: Message) => void | Promise<void>,
): void {
  const type = ex.headers['content-type']
  if (typeof type !== 'string' || !type.includes('application/json')) {
    const text = 'Unsupported Media Type: Content-Type must be application/json'
    ex.json(415, errorResponse(null, new McpxError(ErrorCode.InvalidRequest, text)))
    return
  }
  const refuse = (error: unknown) => {
    fe.onError(error, { method: undefined })
    const { status, headers, error: answer } = httpAnswerForThrown(error)
    ex.json(status, errorResponse(null, answer), headers)
  }
  ex.body(fe.maxMessageBytes).then((body) => {
    if (body === TOO_LARGE) {
      const text = `Payload Too Large: the limit is ${fe.maxMessageBytes} bytes`
      const error = new McpxError(ErrorCode.InvalidRequest, text)
      return ex.json(413, errorResponse(null, error), { connection: 'close' })
    }
    const message = messageOf(body)
    if (McpxError.is(message)) return ex.json(400, errorResponse(null, message))
    try {
      const done = take(message)
      if (done) done.catch(refuse)
    } catch (error) {
      refuse(error)
    }
  }, refuse)
}
