/**
 * A fast, well-mixed 53-bit string hash (cyrb53): two 32-bit
 * multiply-xorshift lanes over UTF-16 code units. Stable across processes
 * and runtimes, so that consistent hashing, sticky splits and shortened names
 * come out the same on every gateway replica. Not a cryptographic hash: it is
 * never used where an attacker gains from a collision (cursors use HMAC).
 */
export function hash53(value: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

/** {@link hash53} as a uniform float in [0, 1). */
export function hashUnit(value: string, seed = 0): number {
  return hash53(value, seed) / 2 ** 53
}
