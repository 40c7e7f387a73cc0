import { ErrorCode, errorResponse, McpxError, type Message } from '@mcpx/core'
import { type HttpExchange, messageOf, TOO_LARGE } from './exchange.js'
import type { FrontEnd } from './front-end.js'
import { httpAnswerForThrown } from './http-answer.js'

/**
 * Read the one JSON-RPC message a POST carries, for every HTTP front end:
 * 415 unless it is declared JSON, 413 before parsing when it is too large,
 * 400 with -32700/-32600 when it is not one JSON-RPC message, 500 when it
 * cannot be read at all (a body parser consumed it; the log says what to
 * do). Those answers are given here, and then it resolves undefined.
 */
export function readPostedMessage(ex: HttpExchange, fe: FrontEnd): Promise<Message | undefined> {
  const type = ex.headers['content-type']
  if (typeof type !== 'string' || !type.includes('application/json')) {
    const text = 'Unsupported Media Type: Content-Type must be application/json'
    ex.json(415, errorResponse(null, new McpxError(ErrorCode.InvalidRequest, text)))
    return NOTHING
  }
  return ex.body(fe.maxMessageBytes).then(
    (body) => {
      if (body === TOO_LARGE) {
        const text = `Payload Too Large: the limit is ${fe.maxMessageBytes} bytes`
        const error = new McpxError(ErrorCode.InvalidRequest, text)
        ex.json(413, errorResponse(null, error), { connection: 'close' })
        return undefined
      }
      const message = messageOf(body)
      if (!McpxError.is(message)) return message
      ex.json(400, errorResponse(null, message))
      return undefined
    },
    (error: unknown) => {
      fe.onError(error, { method: undefined })
      const { status, headers, error: answer } = httpAnswerForThrown(error)
      ex.json(status, errorResponse(null, answer), headers)
      return undefined
    },
  )
}

const NOTHING: Promise<undefined> = Promise.resolve(undefined)
