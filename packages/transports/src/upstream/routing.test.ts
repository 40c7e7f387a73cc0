import type { Notification, Request } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import type { Session } from '../protocol/session.js'
import { type Origin, ownerHandlers, type Router } from './routing.js'

/** A router over `sessions` that records what it delivers; by default s1 subscribes and s0 creates tasks. */
function fakeRouter(
  sessions: Session[],
  routes: { subscribers?: Session[]; taskOwner?: Session } = {},
) {
  const seen: string[] = []
  const logs: string[] = []
  const name = (session: Session) => `s${sessions.indexOf(session)}`
  const router: Router = {
    upstream: 'up',
    sessions,
    subscribers: () => routes.subscribers ?? [sessions[1]!],
    taskOwner: () => ('taskOwner' in routes ? routes.taskOwner : sessions[0]),
    listChanged: (session, message) => seen.push(`${name(session)} list ${message.method}`),
    notify: (session, message, related) =>
      seen.push(`${name(session)} notify ${message.method} ${String(related)}`),
    deliver: async (session, message, related) => {
      seen.push(`${name(session)} deliver ${message.method} ${String(related)}`)
      return {}
    },
    log: (line) => logs.push(line),
  }
  return { router, seen, logs }
}

const request: Request = { jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: {} }
const note = (method: string, params: Record<string, unknown> = {}): Notification => ({
  jsonrpc: '2.0',
  method,
  params,
})
const cancel = { aborted: false, reason: undefined, onAbort: () => () => {} }

describe('ownerHandlers', () => {
  // The handlers only pass sessions on: two distinct objects stand for two clients.
  const sessions = [{}, {}] as Session[]

  it('delivers to whoever owns the connection now, with the owner’s request id when the channel relates none', async () => {
    const { router, seen } = fakeRouter(sessions)
    let owner: Origin | undefined = { session: sessions[0], id: 7 }
    const handlers = ownerHandlers(
      router,
      () => owner,
      () => undefined,
    )
    await handlers.request(request, cancel as never, undefined)
    owner = { session: sessions[1], id: 8 }
    await handlers.request(request, cancel as never, { session: sessions[1], id: 9 })
    handlers.notification(note('notifications/message'), undefined)
    expect(seen).toEqual([
      's0 deliver sampling/createMessage 7',
      's1 deliver sampling/createMessage 9',
      's1 notify notifications/message 8',
    ])
  })

  it('refuses a server request when no client owns the connection', async () => {
    const { router, seen } = fakeRouter(sessions)
    const handlers = ownerHandlers(
      router,
      () => undefined,
      () => undefined,
    )
    await expect(handlers.request(request, cancel as never, undefined)).rejects.toMatchObject({
      code: -32601,
      message: expect.stringContaining('cannot deliver sampling/createMessage'),
    })
    expect(seen).toEqual([])
  })

  it('routes notifications as a shared connection does when no client owns it, logging what concerns no one', () => {
    const { router, seen, logs } = fakeRouter(sessions)
    const handlers = ownerHandlers(
      router,
      () => undefined,
      () => undefined,
    )
    handlers.notification(note('notifications/tools/list_changed'), undefined)
    handlers.notification(note('notifications/resources/updated', { uri: 'file:///a' }), undefined)
    handlers.notification(note('notifications/tasks/status', { taskId: 't' }), undefined)
    handlers.notification(note('notifications/message'), undefined)
    expect(seen).toEqual([
      's0 list notifications/tools/list_changed',
      's1 list notifications/tools/list_changed',
      's1 notify notifications/resources/updated undefined',
      's0 notify notifications/tasks/status undefined',
    ])
    expect(logs).toEqual(['dropped notifications/message: no client holds the connection'])
  })
})

describe('ownerHandlers notifications', () => {
  // s0 holds the lease, s1 is subscribed to file:///a, s2 created task t.
  const sessions = [{}, {}, {}] as Session[]
  const owner: Origin = { session: sessions[0], id: 7 }
  const routes = { subscribers: [sessions[1]!], taskOwner: sessions[2] }
  const send = (handlers: ReturnType<typeof ownerHandlers>) => {
    handlers.notification(note('notifications/tools/list_changed'), undefined)
    handlers.notification(note('notifications/resources/updated', { uri: 'file:///a' }), undefined)
    handlers.notification(note('notifications/tasks/status', { taskId: 't' }), undefined)
    handlers.notification(note('notifications/progress', { progressToken: 1 }), undefined)
    handlers.notification(note('notifications/message'), undefined)
  }

  it("with 'shared', sends list changes to every session, updates to subscribers, task statuses to their creator, the rest to the owner", () => {
    const { router, seen, logs } = fakeRouter(sessions, routes)
    const handlers = ownerHandlers(
      router,
      () => owner,
      () => undefined,
      { notifications: 'shared' },
    )
    send(handlers)
    expect(seen).toEqual([
      's0 list notifications/tools/list_changed',
      's1 list notifications/tools/list_changed',
      's2 list notifications/tools/list_changed',
      's1 notify notifications/resources/updated undefined',
      's2 notify notifications/tasks/status undefined',
      's0 notify notifications/progress 7',
      's0 notify notifications/message 7',
    ])
    expect(logs).toEqual([])
  })

  it("with 'shared', gives the owner an update it subscribed to with its request id, and a related notification to the request it names", () => {
    const { router, seen } = fakeRouter(sessions, { subscribers: [sessions[0]!, sessions[1]!] })
    const handlers = ownerHandlers(
      router,
      () => owner,
      () => undefined,
      { notifications: 'shared' },
    )
    handlers.notification(note('notifications/resources/updated', { uri: 'file:///a' }), undefined)
    handlers.notification(note('notifications/message'), { session: sessions[1], id: 9 })
    expect(seen).toEqual([
      's0 notify notifications/resources/updated 7',
      's1 notify notifications/resources/updated undefined',
      's1 notify notifications/message 9',
    ])
  })

  it("with 'shared', relates a notification to the sole request in flight when the channel relates none (stdio)", () => {
    const { router, seen } = fakeRouter(sessions, routes)
    const connection = { soleRelated: () => ({ session: sessions[1], id: 4 }) }
    const handlers = ownerHandlers(
      router,
      () => owner,
      () => connection as never,
      { notifications: 'shared' },
    )
    handlers.notification(note('notifications/progress', { progressToken: 1 }), undefined)
    expect(seen).toEqual(['s1 notify notifications/progress 4'])
  })

  it.each([
    ['by default', undefined],
    ["with 'owner'", { notifications: 'owner' } as const],
  ])('%s, sends every notification to the owner', (_name, options) => {
    const { router, seen } = fakeRouter(sessions, routes)
    const handlers = ownerHandlers(
      router,
      () => owner,
      () => undefined,
      options,
    )
    send(handlers)
    expect(seen).toEqual([
      's0 list notifications/tools/list_changed',
      's0 notify notifications/resources/updated 7',
      's0 notify notifications/tasks/status 7',
      's0 notify notifications/progress 7',
      's0 notify notifications/message 7',
    ])
  })

  it('refuses an unknown notifications option when made', () => {
    const { router } = fakeRouter(sessions)
    expect(() =>
      ownerHandlers(
        router,
        () => owner,
        () => undefined,
        { notifications: 'everyone' as never },
      ),
    ).toThrow(TypeError)
  })
})
