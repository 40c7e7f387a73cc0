import { expect, it } from 'vitest'
import * as core from '../src/index.js'

it('exports exactly the public API', () => {
  expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
    [
      "Context",
      "ErrorCode",
      "MAX_TIMER_MS",
      "McpxError",
      "abortSource",
      "accessKey",
      "addHeaders",
      "answerHeadersKey",
      "backoffDelay",
      "cacheStatusKey",
      "cachedClock",
      "compileGlob",
      "compose",
      "createHealthRegistry",
      "createKey",
      "createProxy",
      "createStatsRegistry",
      "deadlineKey",
      "errorResponse",
      "fromSignal",
      "idOf",
      "isAbortSignal",
      "isNotification",
      "isRequest",
      "isResponse",
      "mergeCapabilities",
      "on",
      "onNotification",
      "onRequest",
      "optionChecks",
      "parseMessage",
      "principalKey",
      "sessionKey",
      "sourceKey",
      "targetKey",
      "toMcpxError",
      "toolKey",
      "upstreamHeadersKey",
      "validateMessage",
    ]
  `)
})
