import {
  type CryptoKey,
  importJWK,
  importSPKI,
  importX509,
  type JWK,
  type JWSHeaderParameters,
} from 'jose'

/** The JWS algorithms `jwt()` accepts (RFC 7518 §3.1, RFC 8037). `none` is never one of them. */
export type JwtAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'

/** The JWK `kty` each algorithm needs: a key of another type never verifies it. */
export const KEY_TYPE: Readonly<Record<JwtAlgorithm, 'oct' | 'RSA' | 'EC' | 'OKP'>> = {
  HS256: 'oct',
  HS384: 'oct',
  HS512: 'oct',
  RS256: 'RSA',
  RS384: 'RSA',
  RS512: 'RSA',
  PS256: 'RSA',
  PS384: 'RSA',
  PS512: 'RSA',
  ES256: 'EC',
  ES384: 'EC',
  ES512: 'EC',
  EdDSA: 'OKP',
  Ed25519: 'OKP',
}

/** Finds the key for a token's protected header, or throws (the token is then refused). */
export type KeyLookup = (header: JWSHeaderParameters) => Promise<CryptoKey>

/** A key lookup that keeps one import per algorithm: WebCrypto keys are bound to one. */
function perAlgorithm(load: (alg: JwtAlgorithm) => Promise<CryptoKey>): KeyLookup {
  const keys = new Map<string, Promise<CryptoKey>>()
  return (header) => {
    // jose has already checked `alg` against the allow-list before it asks for a key.
    const alg = header.alg as JwtAlgorithm
    let key = keys.get(alg)
    if (key === undefined) {
      key = load(alg)
      keys.set(alg, key)
    }
    return key
  }
}

const HASH_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 }

/**
 * An HMAC secret. RFC 7518 §3.2: "A key of the same size as the hash output
 * (for instance, 256 bits for HS256) or larger MUST be used".
 */
export function secretKeys(
  secret: string | Uint8Array,
  algorithms: readonly JwtAlgorithm[],
): KeyLookup {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret.slice()
  for (const alg of algorithms) {
    if (KEY_TYPE[alg] !== 'oct') {
      throw new TypeError(`[@mcpx/auth] a secret verifies HS256/384/512 only, not ${alg}`)
    }
    if (bytes.length < HASH_BYTES[alg]!) {
      throw new TypeError(`[@mcpx/auth] ${alg} needs a secret of at least ${HASH_BYTES[alg]} bytes`)
    }
  }
  return perAlgorithm((alg) =>
    crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, [
      'verify',
    ]),
  )
}

/** Algorithms a public key may verify: never an HMAC one (that is the RS256→HS256 confusion). */
export function assertAsymmetric(algorithms: readonly JwtAlgorithm[], what: string): void {
  for (const alg of algorithms) {
    if (KEY_TYPE[alg] === 'oct') {
      throw new TypeError(`[@mcpx/auth] ${what} cannot verify ${alg}: give a secret for HMAC`)
    }
  }
}

/** Is this JWK a public signing key that may verify `alg`? (RFC 7517 §4.2–4.4) */
export function usableFor(jwk: JWK, alg: JwtAlgorithm): boolean {
  return (
    jwk.kty === KEY_TYPE[alg] &&
    jwk.d === undefined &&
    (jwk.alg === undefined || jwk.alg === alg) &&
    (jwk.use === undefined || jwk.use === 'sig')
  )
}

/** A public key given as a PEM (SPKI or X.509 certificate) or as a JWK. */
export function publicKeys(key: string | JWK, algorithms: readonly JwtAlgorithm[]): KeyLookup {
  assertAsymmetric(algorithms, 'a public key')
  if (typeof key === 'string') {
    const pem = key.trim()
    if (pem.startsWith('-----BEGIN PUBLIC KEY-----')) {
      return perAlgorithm((alg) => importSPKI(pem, alg))
    }
    if (pem.startsWith('-----BEGIN CERTIFICATE-----')) {
      return perAlgorithm((alg) => importX509(pem, alg))
    }
    throw new TypeError(
      '[@mcpx/auth] key must be a public key PEM (SPKI or certificate) or a public JWK',
    )
  }
  if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') {
    throw new TypeError('[@mcpx/auth] key must be a public key PEM or a public JWK')
  }
  if (key.d !== undefined) throw new TypeError('[@mcpx/auth] key must be a public key, not private')
  const jwk: JWK = { ...key }
  for (const alg of algorithms) {
    if (!usableFor(jwk, alg)) throw new TypeError(`[@mcpx/auth] this JWK cannot verify ${alg}`)
  }
  return perAlgorithm(async (alg) => (await importJWK(jwk, alg)) as CryptoKey)
}
