import { ErrorCode } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { type SendSubscription, Subscriptions } from './subscriptions.js'

/** A table whose upstream requests are recorded; `refuse` makes the upstream say no to a URI. */
function table(limits = { perSession: 10, total: 100 }, refuse = new Set<string>()) {
  const sent: string[] = []
  const logs: string[] = []
  const send: SendSubscription = async (method, uri) => {
    sent.push(`${method} ${uri}`)
    if (refuse.has(uri)) throw new Error(`no ${uri}`)
  }
  return { subs: new Subscriptions<string>(limits, send, (line) => logs.push(line)), sent, logs }
}

describe('Subscriptions', () => {
  it('sends one upstream subscribe per URI however many sessions subscribe', async () => {
    const { subs, sent } = table()
    await Promise.all([subs.subscribe('a', 'file:///x'), subs.subscribe('b', 'file:///x')])
    expect(sent).toEqual(['resources/subscribe file:///x'])
    expect([...subs.sessionsFor('file:///x')]).toEqual(['a', 'b'])
  })

  it("treats a session's repeated subscribe as one subscription", async () => {
    const { subs, sent } = table()
    await subs.subscribe('a', 'file:///x')
    await subs.subscribe('a', 'file:///x')
    expect(sent).toEqual(['resources/subscribe file:///x'])
    expect(subs.stats.subscriptions).toBe(1)
  })

  it('keeps the upstream subscription while another session still holds the URI', async () => {
    const { subs, sent } = table()
    await subs.subscribe('a', 'file:///x')
    await subs.subscribe('b', 'file:///x')
    await subs.unsubscribe('a', 'file:///x')
    expect(sent).toEqual(['resources/subscribe file:///x'])
    expect([...subs.sessionsFor('file:///x')]).toEqual(['b'])
  })

  it('unsubscribes upstream when the last session drops the URI', async () => {
    const { subs, sent } = table()
    await subs.subscribe('a', 'file:///x')
    await subs.unsubscribe('a', 'file:///x')
    expect(sent).toEqual(['resources/subscribe file:///x', 'resources/unsubscribe file:///x'])
    expect(subs.stats).toEqual({ subscribedUris: 0, subscribedSessions: 0, subscriptions: 0 })
  })

  it('sends nothing for an unsubscribe from a session that did not subscribe', async () => {
    const { subs, sent } = table()
    await subs.subscribe('a', 'file:///x')
    await subs.unsubscribe('b', 'file:///x')
    expect(sent).toEqual(['resources/subscribe file:///x'])
  })

  it('unsubscribes upstream the URIs an ending session alone held', async () => {
    const { subs, sent } = table()
    await subs.subscribe('a', 'file:///mine')
    await subs.subscribe('a', 'file:///ours')
    await subs.subscribe('b', 'file:///ours')
    subs.drop('a')
    expect(sent.filter((line) => line.startsWith('resources/unsubscribe'))).toEqual([
      'resources/unsubscribe file:///mine',
    ])
    expect(subs.stats).toEqual({ subscribedUris: 1, subscribedSessions: 1, subscriptions: 1 })
  })

  it('refuses a session one URI more than maxSubscriptionsPerSession with -32011', async () => {
    const { subs } = table({ perSession: 2, total: 100 })
    await subs.subscribe('a', 'u:1')
    await subs.subscribe('a', 'u:2')
    await expect(subs.subscribe('a', 'u:3')).rejects.toMatchObject({ code: ErrorCode.Overloaded })
  })

  it('refuses one distinct URI more than maxSubscriptions with -32011, across sessions', async () => {
    const { subs } = table({ perSession: 10, total: 2 })
    await subs.subscribe('a', 'u:1')
    await subs.subscribe('b', 'u:2')
    await expect(subs.subscribe('c', 'u:3')).rejects.toMatchObject({ code: ErrorCode.Overloaded })
    await subs.subscribe('c', 'u:1') // an existing URI costs nothing more upstream
  })

  it('leaves nothing behind when the upstream refuses a subscribe', async () => {
    const { subs } = table(undefined, new Set(['u:bad']))
    const results = await Promise.allSettled([
      subs.subscribe('a', 'u:bad'),
      subs.subscribe('b', 'u:bad'),
    ])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(subs.stats).toEqual({ subscribedUris: 0, subscribedSessions: 0, subscriptions: 0 })
  })

  it('forgets a subscribe whose connection was lost before the upstream answered', async () => {
    let fail: (error: Error) => void = () => {}
    const subs = new Subscriptions<string>(
      { perSession: 10, total: 100 },
      () => new Promise((_resolve, reject) => (fail = reject)),
      () => {},
    )
    const pending = subs.subscribe('a', 'u:1')
    subs.lost()
    fail(new Error('connection closed'))
    await expect(pending).rejects.toThrow('connection closed')
    expect(subs.stats.subscriptions).toBe(0)
  })

  it('subscribes each URI again, once, on a new connection after the old one was lost', async () => {
    const { subs } = table()
    await subs.subscribe('a', 'u:1')
    await subs.subscribe('b', 'u:1')
    await subs.subscribe('b', 'u:2')
    subs.lost()
    const renewed: string[] = []
    subs.renew(async (method, uri) => {
      renewed.push(`${method} ${uri}`)
    })
    expect(renewed).toEqual(['resources/subscribe u:1', 'resources/subscribe u:2'])
  })

  it('subscribes upstream again when a session joins a URI whose subscription was lost', async () => {
    const { subs, sent } = table()
    await subs.subscribe('a', 'u:1')
    subs.lost()
    await subs.subscribe('b', 'u:1')
    expect(sent).toEqual(['resources/subscribe u:1', 'resources/subscribe u:1'])
    expect([...subs.sessionsFor('u:1')]).toEqual(['a', 'b'])
  })
})
