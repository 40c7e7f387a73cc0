import { ErrorCode, McpxError } from '@mcpx/core'

/** Where a client is in one of the router's merged lists. */
export interface CursorState {
  /** The list method the cursor pages through, e.g. `'tools/list'`. */
  readonly list: string
  /** Index of the first item of the next page: a non-negative safe integer. */
  readonly offset: number
  /** The catalog generation the page came from. */
  readonly generation: string
}

/** Options for {@link createCursorCodec}. */
export interface CursorCodecOptions {
  /**
   * The HMAC key: a string of at least 16 characters or at least 16 bytes.
   * Give every gateway replica the same key so that each accepts the others'
   * cursors. Keep it secret: whoever has it can forge cursors.
   *
   * @defaultValue 32 random bytes, new in every process
   */
  key?: string | Uint8Array
}

/** Encodes and checks the opaque, tamper-evident cursors the router hands out. */
export interface CursorCodec {
  /**
   * The cursor for `state`. Resolves once the key is imported.
   *
   * @throws TypeError when `offset` is not a non-negative safe integer, or
   * the cursor would be longer than 1,024 characters (a bug in the caller).
   */
  encode(state: CursorState): Promise<string>
  /**
   * The state in `cursor`, checked against the list it was sent for and the
   * current catalog generation. Rejects with an `McpxError` -32602 (and with
   * nothing else) when the cursor is forged, truncated, malformed, for
   * another list or longer than 1,024 characters (`Invalid cursor`), or
   * when the catalog changed since (`Stale cursor: the list changed, list
   * again`): MCP, Pagination §Error Handling says invalid cursors are -32602.
   */
  decode(cursor: string, list: string, generation: string): Promise<CursorState>
}

const MIN_KEY_LENGTH = 16
const MAX_CURSOR_LENGTH = 1024
/** Bumped when the payload's layout changes, so old cursors are refused, not misread. */
const VERSION = 1
/** Full HMAC-SHA-256: `crypto.subtle.verify` compares whole MACs only. */
const MAC_BYTES = 32
const BASE64URL = /^[A-Za-z0-9_-]+$/
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * A {@link CursorCodec}. A cursor is `base64url(payload) + '.' +
 * base64url(HMAC-SHA-256(key, base64url(payload)))`, where the payload is the
 * JSON `[version, list, offset, generation]`. The MAC is checked (in constant
 * time) before the payload is read.
 *
 * @example
 * ```ts
 * const cursors = createCursorCodec({ key: process.env.MCPX_CURSOR_KEY })
 * const nextCursor = await cursors.encode({ list: 'tools/list', offset: 50, generation })
 * // on the next tools/list:
 * const { offset } = await cursors.decode(params.cursor, 'tools/list', generation)
 * ```
 */
export function createCursorCodec(options: CursorCodecOptions = {}): CursorCodec {
  const raw = keyBytes(options.key)
  const importKey = () =>
    globalThis.crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
  // Imported once, on first use: the factory stays synchronous.
  let imported: ReturnType<typeof importKey> | undefined
  const key = () => {
    imported ??= importKey()
    return imported
  }

  async function encode(state: CursorState): Promise<string> {
    if (!Number.isSafeInteger(state.offset) || state.offset < 0) {
      throw new TypeError('[@mcpx/router] cursor offset must be a non-negative safe integer')
    }
    const payload = toBase64Url(
      encoder.encode(JSON.stringify([VERSION, state.list, state.offset, state.generation])),
    )
    const mac = await globalThis.crypto.subtle.sign('HMAC', await key(), encoder.encode(payload))
    const cursor = `${payload}.${toBase64Url(new Uint8Array(mac))}`
    if (cursor.length > MAX_CURSOR_LENGTH) {
      throw new TypeError(`[@mcpx/router] cursor longer than ${MAX_CURSOR_LENGTH} characters`)
    }
    return cursor
  }

  async function decode(cursor: string, list: string, generation: string): Promise<CursorState> {
    const parts = split(cursor)
    const mac = parts && fromBase64Url(parts[1])
    if (!parts || mac?.length !== MAC_BYTES) throw invalid()
    const signed = encoder.encode(parts[0])
    if (!(await globalThis.crypto.subtle.verify('HMAC', await key(), mac, signed))) throw invalid()
    const state = readPayload(parts[0])
    if (!state || state.list !== list) throw invalid()
    if (state.generation !== generation) {
      throw new McpxError(ErrorCode.InvalidParams, 'Stale cursor: the list changed, list again')
    }
    return state
  }

  return { encode, decode }
}

function keyBytes(key: string | Uint8Array | undefined): Uint8Array<ArrayBuffer> {
  if (key === undefined) return globalThis.crypto.getRandomValues(new Uint8Array(MAC_BYTES))
  if (typeof key === 'string' && key.length >= MIN_KEY_LENGTH) return encoder.encode(key)
  // A copy: the caller's array may change later; the key must not.
  if (key instanceof Uint8Array && key.length >= MIN_KEY_LENGTH) return new Uint8Array(key)
  throw new TypeError(
    `[@mcpx/router] cursor key must be a string of at least ${MIN_KEY_LENGTH} characters or at least ${MIN_KEY_LENGTH} bytes`,
  )
}

function invalid(): McpxError {
  return new McpxError(ErrorCode.InvalidParams, 'Invalid cursor')
}

/** The payload and MAC parts of a well-formed cursor, or `undefined`. */
function split(cursor: unknown): [string, string] | undefined {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) return undefined
  const parts = cursor.split('.')
  if (parts.length !== 2) return undefined
  const [payload, mac] = parts as [string, string]
  return BASE64URL.test(payload) && BASE64URL.test(mac) ? [payload, mac] : undefined
}

/** The state in an authenticated payload, or `undefined` if its shape is wrong. */
function readPayload(payload: string): CursorState | undefined {
  const bytes = fromBase64Url(payload)
  if (!bytes) return undefined
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch {
    return undefined
  }
  if (!Array.isArray(value) || value.length !== 4 || value[0] !== VERSION) return undefined
  const [, list, offset, generation] = value as [unknown, unknown, unknown, unknown]
  if (typeof list !== 'string' || typeof generation !== 'string') return undefined
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined
  return { list, offset, generation }
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * The bytes of unpadded base64url `text`, or `undefined`. Only the canonical
 * spelling is accepted: the unused low bits of the last character must be
 * zero, or two cursors differing in one bit would carry the same MAC.
 */
function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  let binary: string
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  } catch {
    return undefined
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return toBase64Url(bytes) === text ? bytes : undefined
}
