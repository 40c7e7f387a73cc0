import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Signs and checks the owner values the registry stores in the directory:
 * `<origin> <signature>`, the signature an HMAC-SHA256 over the session id
 * and the origin, keyed from the replicas' shared secret. A replica connects
 * only to an origin a replica signed for that session, so whoever can write
 * to the directory but does not know the secret cannot send a session's
 * requests (with the secret and the client's credentials) to a server of
 * theirs, nor move a signed entry to another session.
 */
export class OwnerSignature {
  readonly #key: Buffer

  constructor(secret: string) {
    // A key of its own: the secret itself travels in a header; this one never does.
    this.#key = createHmac('sha256', secret).update('mcpx session owner').digest()
  }

  /** The owner value naming `origin` (an http(s) origin, no spaces) as the owner of `id`. */
  sign(id: string, origin: string): string {
    return `${origin} ${this.#mac(id, origin)}`
  }

  /** The owner's origin when `owner` was signed for `id` with this key, else undefined. */
  verify(id: string, owner: string): URL | undefined {
    const space = owner.lastIndexOf(' ')
    if (space < 0) return undefined
    const origin = owner.slice(0, space)
    // The signature's text is compared, not its decoded bytes: base64 decoding skips what it
    // does not know, so another text could decode to the same bytes.
    const given = Buffer.from(owner.slice(space + 1))
    const expected = Buffer.from(this.#mac(id, origin))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    try {
      const url = new URL(origin)
      return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined
    } catch {
      return undefined
    }
  }

  #mac(id: string, origin: string): string {
    // Session ids have no newline, so `id \n origin` reads one way only.
    return createHmac('sha256', this.#key).update(`${id}\n${origin}`).digest('base64url')
  }
}
