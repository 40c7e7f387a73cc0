// Forwarding between two replicas in this process, each a real handler on
// 127.0.0.1: what the forwarding replica does with the owner's answers, and
// what closing a replica does to the forwards it carries.
import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { OwnerSignature } from '../src/downstream/owner-signature.js'
import { runCleanups } from './fixtures.js'
import { ACCEPT, INIT } from './harness.js'
import { memoryDirectory, post, replica, SECRET, WHOAMI } from './registry-harness.js'

afterEach(runCleanups)

const signature = new OwnerSignature(SECRET)

/** A directory in memory that counts its lookups. */
function countingDirectory() {
  const directory = memoryDirectory()
  let lookups = 0
  const owner = directory.owner
  return Object.assign(directory, {
    owner: (id: string) => {
      lookups++
      return owner(id)
    },
    lookups: () => lookups,
  })
}

describe('an owner that answers 404', () => {
  it('makes the forwarding replica relay the 404, forget the owner and drop the entry', async () => {
    const directory = countingDirectory()
    const a = await replica('A', directory)
    const b = await replica('B', directory)
    const { sessionId } = await post(a.url, INIT)
    const id = sessionId!
    expect((await post(b.url, WHOAMI, id)).status).toBe(200)
    expect(directory.lookups()).toBe(1)
    // A loses the session and its release is lost (as when A restarts at the same address).
    const ended = await fetch(a.url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' },
    })
    expect(ended.status).toBe(200)
    directory.entries.set(id, signature.sign(id, a.origin))

    const lost = await post(b.url, WHOAMI, id)
    expect(lost.status).toBe(404)
    expect(lost.text).toContain('Session not found')
    expect(directory.entries.has(id)).toBe(false)
    // B no longer remembers A for the session: the next request asks the directory.
    expect((await post(b.url, WHOAMI, id)).status).toBe(404)
    expect(directory.lookups()).toBe(2)
  })
})

const HOLD = JSON.stringify({
  jsonrpc: '2.0',
  id: 8,
  method: 'tools/call',
  params: { name: 'hold', arguments: {} },
})

describe("closing a replica's handler", () => {
  it('lets a forwarded request in flight finish', async () => {
    const directory = memoryDirectory()
    const a = await replica('A', directory)
    const b = await replica('B', directory)
    let started!: () => void
    const reached = new Promise<void>((resolve) => (started = resolve))
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    a.mcp.registerTool('hold', {}, async () => {
      started()
      await held
      return { content: [{ type: 'text', text: 'held to the end' }] }
    })
    const { sessionId } = await post(a.url, INIT)
    const call = post(b.url, HOLD, sessionId!)
    await reached
    await b.handler.close()
    release()
    const answer = await call
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('held to the end')
  })

  it('resolves once the releases of its sessions have reached the directory', async () => {
    const directory = memoryDirectory()
    const release = directory.release
    // A slow directory: each release lands 100 ms after it was sent.
    directory.release = async (id, owner) => {
      await new Promise((resolve) => setTimeout(resolve, 100))
      await release(id, owner)
    }
    const a = await replica('A', directory)
    const { sessionId } = await post(a.url, INIT)
    expect(directory.entries.has(sessionId!)).toBe(true)
    await a.handler.close()
    expect(directory.entries.has(sessionId!)).toBe(false)
  })

  it('resolves even when the directory never answers a release', async () => {
    const directory = memoryDirectory()
    directory.release = () => new Promise<void>(() => {})
    const a = await replica('A', directory)
    await post(a.url, INIT)
    await a.handler.close()
    expect(a.handler.sessionCount).toBe(0)
  })
})

/** POST `body` on session `sessionId` from the loopback address `from`, with `extra` headers: the status. */
function postFrom(url: string, from: string, body: string, sessionId: string, extra = {}) {
  return new Promise<number>((resolve, reject) => {
    const headers = {
      'content-type': 'application/json',
      accept: ACCEPT,
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
      ...extra,
    }
    const out = request(url, { method: 'POST', headers, localAddress: from }, (answer) => {
      answer.resume()
      answer.once('end', () => resolve(answer.statusCode!))
    })
    out.once('error', reject)
    out.end(body)
  })
}

describe("the client's address at the owner", () => {
  it("is the client's, not the forwarding replica's, and a client cannot claim another", async () => {
    const directory = memoryDirectory()
    const seen: { address: string | undefined; claim: unknown }[] = []
    const a = await replica('A', directory, {
      authenticate: ({ remoteAddress, headers }) => {
        seen.push({ address: remoteAddress, claim: headers['mcpx-replica-client-address'] })
        return undefined
      },
    })
    const b = await replica('B', directory)
    const { sessionId } = await post(a.url, INIT)
    const claim = { 'mcpx-replica-client-address': '203.0.113.9' }
    seen.length = 0
    // B's own connection to A comes from 127.0.0.1; the client's from 127.0.0.2 and 127.0.0.3.
    expect(await postFrom(b.url, '127.0.0.2', WHOAMI, sessionId!)).toBe(200)
    expect(await postFrom(b.url, '127.0.0.2', WHOAMI, sessionId!, claim)).toBe(200)
    expect(await postFrom(a.url, '127.0.0.3', WHOAMI, sessionId!, claim)).toBe(200)
    expect(seen).toEqual([
      { address: '127.0.0.2', claim: undefined },
      { address: '127.0.0.2', claim: undefined },
      { address: '127.0.0.3', claim: undefined },
    ])
  })
})
