import { McpxError, type Principal } from '@mcpx/core'
import type { FrontEnd, HttpRequestInfo } from './front-end.js'
import { type HttpAnswer, httpAnswerForThrown } from './http-answer.js'

/** The `authenticate` hook's verdict on one HTTP request: who is calling, or how to refuse it. */
export type Verdict =
  | { refused: undefined; principal: Principal | undefined }
  | { refused: HttpAnswer & { error: McpxError }; principal?: undefined }

const ANONYMOUS: Verdict = { refused: undefined, principal: undefined }

/**
 * Run the front end's `authenticate` hook for one HTTP request. A refusal
 * comes with the HTTP answer the one error mapping gives it (401 and
 * `WWW-Authenticate`, 403, 429 and `Retry-After`, 503); an error that is not
 * an `McpxError` goes to `onError` and the client gets a generic 500.
 */
export async function verdictOf(fe: FrontEnd, request: HttpRequestInfo): Promise<Verdict> {
  if (!fe.authenticate) return ANONYMOUS
  try {
    return { refused: undefined, principal: await fe.authenticate(request) }
  } catch (error) {
    if (!McpxError.is(error)) fe.onError(error, { method: undefined })
    return { refused: httpAnswerForThrown(error) }
  }
}
