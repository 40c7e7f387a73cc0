import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'
import { ErrorCode, McpxError, type Principal } from '@mcpx/core'
import { type Authenticator, unauthorized } from './authenticator.js'
import { wwwAuthenticate } from './challenge.js'
import { principalOf } from './secrets.js'

/** One user of {@link basic}. */
export interface BasicUser {
  username: string
  /** The password as {@link hashPassword} stores it: `scrypt$N$r$p$salt$hash`. */
  passwordHash: string
  /** The principal the user gets. @defaultValue `{ subject: username, scopes: [] }` */
  principal?: Principal
}

/** Options for {@link basic}. */
export interface BasicOptions {
  users: readonly BasicUser[]
  /** The protection space named in the challenge (RFC 7617 §2). @defaultValue `'mcpx'` */
  realm?: string
}

/** scrypt cost parameters for {@link hashPassword}. */
export interface HashPasswordOptions {
  /** CPU/memory cost, a power of two. @defaultValue 16384 */
  N?: number
  /** Block size. @defaultValue 8 */
  r?: number
  /** Parallelism. @defaultValue 1 */
  p?: number
}

interface Parsed {
  options: ScryptOptions
  salt: Buffer
  hash: Buffer
}

const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/
/** RFC 7617 §2: `Basic base64(user-id ":" password)`. */
const HEADER = /^basic +([A-Za-z0-9+/]+={0,2})$/i
const MAX_HEADER = 1024

function scryptOptions(N: number, r: number, p: number): ScryptOptions {
  // Bounds that keep a hostile or mistyped configuration from taking a gigabyte per check.
  if (!Number.isInteger(N) || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0) {
    throw new TypeError('[@mcpx/auth] scrypt N must be a power of two from 2 to 2^20')
  }
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) {
    throw new TypeError('[@mcpx/auth] scrypt r must be 1..32 and p 1..16')
  }
  return { N, r, p, maxmem: 256 * N * r * p }
}

function parse(stored: string): Parsed {
  const match = typeof stored === 'string' ? FORMAT.exec(stored) : null
  if (match === null) {
    throw new TypeError('[@mcpx/auth] a password hash must look like scrypt$N$r$p$salt$hash')
  }
  const [, N, r, p, salt, hash] = match
  const parsed = {
    options: scryptOptions(Number(N), Number(r), Number(p)),
    salt: Buffer.from(salt!, 'base64url'),
    hash: Buffer.from(hash!, 'base64url'),
  }
  if (parsed.salt.length < 8 || parsed.hash.length < 16) {
    throw new TypeError('[@mcpx/auth] a password hash needs a salt >= 8 and a hash >= 16 bytes')
  }
  return parsed
}

function derive(password: string, salt: Buffer, length: number, options: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  )
}

/**
 * Hashes a password for {@link basic}: scrypt with a random 16-byte salt and
 * a 32-byte key, stored as `scrypt$N$r$p$salt$hash` (base64url).
 *
 * @example
 * ```ts
 * const passwordHash = await hashPassword('correct horse battery staple')
 * ```
 */
export async function hashPassword(
  password: string,
  options: HashPasswordOptions = {},
): Promise<string> {
  if (typeof password !== 'string' || password === '') {
    throw new TypeError('[@mcpx/auth] hashPassword() needs a non-empty password')
  }
  const { N = 16384, r = 8, p = 1 } = options
  const salt = randomBytes(16)
  const hash = await derive(password, salt, 32, scryptOptions(N, r, p))
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`
}

/** RFC 7617 §2: `Basic realm="…"`, and §2.1 `charset="UTF-8"` (passwords are read as UTF-8). */
function basicChallenge(realm: string): string {
  if (typeof realm !== 'string' || realm === '') {
    throw new TypeError('[@mcpx/auth] basic() realm must be a non-empty string')
  }
  // The same quoted-string rules as a Bearer challenge's values.
  return `Basic ${wwwAuthenticate({ realm }).slice('Bearer '.length)}, charset="UTF-8"`
}

function credentialsOf(header: string | string[] | undefined): [string, string] {
  if (header === undefined) throw unauthorized(undefined)
  if (typeof header !== 'string') throw unauthorized('invalid_request')
  if (header.length > MAX_HEADER) throw unauthorized('invalid_request')
  if (!/^basic /i.test(header)) throw unauthorized(undefined)
  const match = HEADER.exec(header)
  if (match === null) throw unauthorized('invalid_request')
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) throw unauthorized('invalid_request')
  return [decoded.slice(0, colon), decoded.slice(colon + 1)]
}

interface User {
  readonly parsed: Parsed
  readonly principal: Principal
}

/** The users by name, each password hash parsed once. */
function tableOf(users: BasicOptions['users']): Map<string, User> {
  const table = new Map<string, User>()
  for (const user of users) {
    if (typeof user?.username !== 'string' || user.username === '' || user.username.includes(':')) {
      throw new TypeError('[@mcpx/auth] basic(): a username must be non-empty, without ":"')
    }
    if (table.has(user.username)) {
      throw new TypeError(`[@mcpx/auth] basic(): user ${user.username} is listed twice`)
    }
    const principal = principalOf(
      user.principal ?? { subject: user.username, scopes: [] },
      'basic()',
    )
    table.set(user.username, { parsed: parse(user.passwordHash), principal })
  }
  return table
}

/**
 * HTTP Basic authentication (RFC 7617) against scrypt-hashed passwords.
 * An unknown user costs the same scrypt run as a known one, and hashes are
 * compared with `timingSafeEqual`. Node only (`@mcpx/auth/node`): scrypt is
 * not in Web Crypto. Each check is deliberately slow (tens of milliseconds),
 * so put a rate limit in front of it.
 *
 * @example
 * ```ts
 * import { basic } from '@mcpx/auth/node'
 *
 * const verify = basic({
 *   users: [{ username: 'ops', passwordHash: process.env.OPS_PASSWORD_HASH!, principal: { subject: 'ops', scopes: ['admin'] } }],
 * })
 * ```
 */
export function basic(options: BasicOptions): Authenticator {
  const users = options?.users
  if (!Array.isArray(users) || users.length === 0) {
    throw new TypeError('[@mcpx/auth] basic() needs at least one user')
  }
  const table = tableOf(users)
  // An unknown user is checked against this, so that it takes as long as a wrong password.
  const decoy = table.values().next().value!.parsed
  const challenge = basicChallenge(options.realm ?? 'mcpx')

  async function check(authorization: string | string[] | undefined): Promise<Principal> {
    const [username, password] = credentialsOf(authorization)
    const user = table.get(username)
    const { options, salt, hash } = user?.parsed ?? decoy
    const derived = await derive(password, salt, hash.length, options)
    const equal = timingSafeEqual(derived, hash)
    if (!equal || user === undefined) throw unauthorized('invalid_token')
    return user.principal
  }

  return async function basic(request) {
    try {
      return await check(request.headers.authorization)
    } catch (error) {
      if (!McpxError.is(error) || error.code !== ErrorCode.Unauthorized) throw error
      throw new McpxError(error.code, error.message, {
        cause: error.cause,
        headers: { 'www-authenticate': challenge },
      })
    }
  }
}
