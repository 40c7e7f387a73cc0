import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose'

export const SECRET = 'a-test-secret-of-at-least-32-bytes-long!'
export const ISSUER = 'https://issuer.test'
export const AUDIENCE = 'https://mcp.test'

export const b64u = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url')

/** Seconds since the epoch, as JWT dates are. */
export const now = (): number => Math.floor(Date.now() / 1000)

/** Claims of a token that should verify: `sub`, `iss`, `aud`, `iat`, `exp` in 10 minutes. */
export function claims(extra: JWTPayload = {}): JWTPayload {
  return { sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600, ...extra }
}

export interface KeyPair {
  alg: string
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  jwk: JWK
  pem: string
}

export async function keyPair(alg: string, kid = `${alg}-1`): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicKey, jwk, pem: await exportSPKI(publicKey) }
}

/**
 * A signed token; `header` adds to (or overrides) the protected header. A
 * `crit` list in it is signed as given (jose signs only the critical
 * parameters it is told are understood: here, all of them).
 */
export async function sign(
  key: KeyPair | Uint8Array | string,
  payload: JWTPayload = claims(),
  header: Record<string, unknown> = {},
): Promise<string> {
  const crit = Array.isArray(header.crit)
    ? { crit: Object.fromEntries(header.crit.map((name: string) => [name, true])) }
    : {}
  if (typeof key === 'string' || key instanceof Uint8Array) {
    const secret = typeof key === 'string' ? new TextEncoder().encode(key) : key
    return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', ...header }).sign(secret, crit)
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey, crit)
}

/** A token signed by hand with HMAC-SHA256 over any header and payload, using any bytes as the key. */
export async function hmacToken(
  header: Record<string, unknown>,
  payload: JWTPayload,
  keyBytes: Uint8Array,
): Promise<string> {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
  const key = await crypto.subtle.importKey(
    'raw',
    keyBytes.length === 0 ? new Uint8Array(1) : keyBytes,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(input)))
  return `${input}.${b64u(mac)}`
}

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

export interface JwksServer {
  url: string
  /** Requests served so far. */
  hits: number
  /** What the next requests get. */
  mode: 'serve' | 'hang' | 'fail' | 'redirect'
  keys: JWK[]
  close(): Promise<void>
}

/** A real JWKS HTTP server on 127.0.0.1 (port 0) that counts its requests. */
export async function jwksServer(keys: JWK[] = []): Promise<JwksServer> {
  const state: JwksServer = {
    url: '',
    hits: 0,
    mode: 'serve',
    keys,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.hits++
    if (state.mode === 'hang') return
    if (state.mode === 'fail') return void res.writeHead(500).end()
    if (state.mode === 'redirect') {
      return void res.writeHead(302, { location: `${state.url}?again` }).end()
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys: state.keys }))
    void req
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
  return state
}
