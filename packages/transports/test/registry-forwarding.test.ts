// Forwarding between two replicas in this process, each a real handler on
// 127.0.0.1: what the forwarding replica does with the owner's answers, and
// what closing a replica does to the forwards it carries.
import { afterEach, describe, expect, it } from 'vitest'
import { OwnerSignature } from '../src/downstream/owner-signature.js'
import { runCleanups } from './fixtures.js'
import { INIT } from './harness.js'
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
