/**
 * `maxTotalTimeout` end to end: the e2e fixture as a real stdio child that
 * sends progress forever, `forward()`, and a downstream `Session`. The idle
 * timeout is far above the test timeout, so a request that fails in time
 * failed on its total time.
 */
import { createProxy, ErrorCode, type Message } from '@mcpx/core'
import { afterEach, describe, expect, it } from 'vitest'
import { forward } from '../src/forward.js'
import { Session } from '../src/protocol/session.js'
import { type Upstream, upstream } from '../src/upstream/upstream.js'
import { eventually } from './fixtures.js'
import { fixtureStdio, INIT } from './harness.js'

const INITIALIZE = JSON.parse(INIT) as Message

const answerTo = (sent: Message[], id: number) =>
  sent.find((m) => !('method' in m) && m.id === id) as
    | { result?: { content: { text: string }[] }; error?: { code: number } }
    | undefined

/** A session on `up` whose writes are recorded; resolves once it is initialized. */
async function openSession(up: Upstream) {
  const sent: Message[] = []
  const session = new Session({
    proxy: createProxy({ terminal: forward(up) }),
    info: { id: 'max-total', transport: 'test' },
    send: (message) => sent.push(message),
  })
  session.receive(INITIALIZE)
  await eventually(() => answerTo(sent, 1) !== undefined, 10_000)
  return { session, sent }
}

/** Call `progress_forever` as request `id` and wait for its answer. */
async function callForever(session: Session, sent: Message[], id: number) {
  session.receive({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: 'progress_forever',
      arguments: { intervalMs: 20 },
      _meta: { progressToken: 'mine' },
    },
  })
  await eventually(() => answerTo(sent, id) !== undefined, 10_000)
  return answerTo(sent, id)!
}

describe('an upstream that sends progress forever', () => {
  let up: Upstream | undefined
  let session: Session | undefined
  afterEach(async () => {
    session?.close()
    await up?.close()
  })

  function start() {
    up = upstream('fixture', fixtureStdio(), {
      timeout: 60_000,
      maxTotalTimeout: 400,
      log: () => {},
    })
    return up
  }

  it('fails the request with -32001 at the maximum total time', async () => {
    const opened = await openSession(start())
    session = opened.session
    const answer = await callForever(opened.session, opened.sent, 2)
    expect(answer.error?.code).toBe(ErrorCode.RequestTimeout)
  })

  it('relays the progress that kept the request alive until then', async () => {
    const opened = await openSession(start())
    session = opened.session
    await callForever(opened.session, opened.sent, 2)
    const progress = opened.sent.filter(
      (m) => 'method' in m && m.method === 'notifications/progress',
    )
    expect(progress.length).toBeGreaterThan(0)
  })

  it('cancels the request upstream', async () => {
    const opened = await openSession(start())
    session = opened.session
    await callForever(opened.session, opened.sent, 2)
    // The fixture counts the cancellation when its loop next wakes: ask until it has.
    let id = 3
    await eventually(async () => {
      const asked = id++
      opened.session.receive({
        jsonrpc: '2.0',
        id: asked,
        method: 'tools/call',
        params: { name: 'stats', arguments: {} },
      })
      await eventually(() => answerTo(opened.sent, asked) !== undefined)
      return JSON.parse(answerTo(opened.sent, asked)!.result!.content[0]!.text).cancelled === 1
    })
  })
})
