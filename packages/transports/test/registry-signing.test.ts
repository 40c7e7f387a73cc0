// The session registry signs its directory entries: a replica connects only
// to an origin a replica signed for that session with the shared secret.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { OwnerSignature } from '../src/downstream/owner-signature.js'
import { cleanups, runCleanups } from './fixtures.js'
import { INIT } from './harness.js'
import { memoryDirectory, post, replica, SECRET, WHOAMI } from './registry-harness.js'

afterEach(runCleanups)

/** A server that would take a forwarded request (and its secret): it counts its connections. */
async function trap() {
  let connections = 0
  const server = createServer((_req, res) => res.end('stolen'))
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
  }
}

const ID = 'S'.repeat(24)
const signature = new OwnerSignature(SECRET)

describe('signed directory entries', () => {
  it('never connects to an origin an entry names without a valid signature, answers 404 and reports it once', async () => {
    const directory = memoryDirectory()
    const b = await replica('B', directory)
    const stranger = await trap()
    const forged = [
      stranger.origin,
      `${stranger.origin} ${'A'.repeat(43)}`,
      new OwnerSignature('another-secret-of-16-chars').sign(ID, stranger.origin),
      // Signed, but for another session: an entry cannot be moved.
      signature.sign('T'.repeat(24), stranger.origin),
    ]
    for (const owner of forged) {
      await directory.claim(ID, owner)
      const answer = await post(b.url, WHOAMI, ID)
      expect(answer.status).toBe(404)
      expect(answer.text).toContain('Session not found')
    }
    expect(stranger.connections()).toBe(0)
    const reports = b.errors.filter((error) => /not signed/.test(error.message))
    expect(reports).toHaveLength(1)
  })

  it('still forwards a session whose entry its owner signed', async () => {
    const directory = memoryDirectory()
    const a = await replica('A', directory)
    const b = await replica('B', directory)
    const { sessionId } = await post(a.url, INIT)
    expect(directory.entries.get(sessionId!)).toBe(signature.sign(sessionId!, a.origin))
    const answer = await post(b.url, WHOAMI, sessionId!)
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('"text":"A"')
    expect(b.errors).toEqual([])
  })
})

const idChar = fc.constantFrom(
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'.split(''),
)
const sessionId = fc.string({ unit: idChar, minLength: 24, maxLength: 24 })
const origin = fc
  .tuple(fc.constantFrom('http', 'https'), fc.ipV4(), fc.integer({ min: 1, max: 65_535 }))
  .map(([scheme, host, port]) => `${scheme}://${host}:${port}`)

describe('OwnerSignature', () => {
  it('verifies what it signed and refuses any other owner string', () => {
    fc.assert(
      fc.property(
        sessionId,
        origin,
        fc.nat(),
        fc.constantFrom('replace', 'insert', 'delete'),
        fc.string({ minLength: 1, maxLength: 1 }),
        (id, from, at, how, char) => {
          const owner = signature.sign(id, from)
          expect(signature.verify(id, owner)?.origin).toBe(new URL(from).origin)
          const i = at % owner.length
          const tampered =
            how === 'replace'
              ? owner.slice(0, i) + char + owner.slice(i + 1)
              : how === 'insert'
                ? owner.slice(0, i) + char + owner.slice(i)
                : owner.slice(0, i) + owner.slice(i + 1)
          fc.pre(tampered !== owner)
          expect(signature.verify(id, tampered)).toBeUndefined()
        },
      ),
      { numRuns: 2000 },
    )
  })
})
