import { hash53 } from './hash.js'

/** Options for {@link createNamer}. */
export interface NamespaceOptions {
  /**
   * Joins an upstream's prefix to its names (`math` + `_` + `add`). One to
   * four characters from the tool-name alphabet (`A–Z a–z 0–9 _ - .`).
   *
   * @defaultValue `'_'`
   */
  separator?: string
  /**
   * The longest exposed name, 1 to 128. MCP allows 128 characters, but
   * clients and LLM APIs cap function names at 64, so that is the default.
   * Below 10 there is no room left for a readable stem next to the 8-character
   * hash, and shortened names are the hash alone (cut to fit).
   *
   * @defaultValue `64`
   */
  maxLength?: number
}

/** Turns an upstream's names into the names the router exposes, and back. */
export interface Namer {
  /**
   * The exposed name of `name` from the upstream whose prefix is `prefix`
   * (`''`: no namespacing, but the name is still made valid and short).
   * Deterministic: the same inputs give the same output on every replica.
   * A name that is already valid comes back as `prefix + separator + name`,
   * so {@link Namer.parse} can undo it; any other name is shortened to a
   * valid stem plus `_` and an 8-character hash of the (prefix, name) pair.
   *
   * @throws TypeError when `prefix` is neither `''` nor valid ({@link assertPrefix}).
   */
  expose(prefix: string, name: string): string
  /**
   * The prefix among `prefixes` that `exposed` starts with (plus the
   * separator) and the rest of the name, or `undefined`. The longest matching
   * prefix wins; `''` among `prefixes` matches any name no other prefix
   * matches. Only answers where `expose(prefix, name)` gives back `exposed`.
   *
   * Shortened names cannot be parsed (the hash is one-way): the router keeps
   * a table from exposed to original names for each catalog it lists and
   * resolves through that table. `parse` is for names the router has not
   * listed yet, such as a `tools/call` that arrives before `tools/list`.
   */
  parse(exposed: string, prefixes: readonly string[]): { prefix: string; name: string } | undefined
}

const ALLOWED = /^[A-Za-z0-9_.-]+$/
const DISALLOWED = /[^A-Za-z0-9_.-]/gu
/** MCP 2025-11-25, Tools §Tool Names: 1 to 128 characters. */
const SPEC_MAX_LENGTH = 128
const MAX_PREFIX_LENGTH = 32
const MAX_SEPARATOR_LENGTH = 4
const HASH_CHARS = 8
const HASH_RANGE = 36 ** HASH_CHARS

/**
 * Whether `name` is a tool name clients accept: 1 to `maxLength` characters,
 * each one of `A–Z a–z 0–9 _ - .` (MCP 2025-11-25, Tools §Tool Names).
 *
 * @example
 * ```ts
 * isValidToolName('math_add') // true
 * isValidToolName('math add') // false
 * ```
 */
export function isValidToolName(name: string, maxLength = 64): boolean {
  return name.length >= 1 && name.length <= maxLength && ALLOWED.test(name)
}

/**
 * Throws a `TypeError` naming `prefix` unless it is 1 to 32 characters from
 * the tool-name alphabet. Call it where prefixes are configured, so a bad one
 * fails at startup rather than on the first list.
 *
 * @example
 * ```ts
 * assertPrefix('math') // passes
 * assertPrefix('my math') // TypeError: [@mcpx/router] invalid prefix "my math": …
 * ```
 */
export function assertPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !ALLOWED.test(prefix) || prefix.length > MAX_PREFIX_LENGTH) {
    throw new TypeError(
      `[@mcpx/router] invalid prefix ${JSON.stringify(prefix)}: use 1 to ${MAX_PREFIX_LENGTH} of A-Z a-z 0-9 _ - .`,
    )
  }
}

/**
 * A {@link Namer}: prefixes upstream names and keeps every exposed name valid
 * and at most `maxLength` characters, shortening with a stable hash where it
 * must, so that all replicas expose the same names.
 *
 * @example
 * ```ts
 * const namer = createNamer({ maxLength: 64 })
 * namer.expose('math', 'add') // 'math_add'
 * namer.expose('web', 'fetch page') // 'web_fetch_page_' + 8 hash characters
 * namer.parse('math_add', ['math', 'web']) // { prefix: 'math', name: 'add' }
 * ```
 */
export function createNamer(options: NamespaceOptions = {}): Namer {
  const separator = options.separator ?? '_'
  const maxLength = options.maxLength ?? 64
  if (
    typeof separator !== 'string' ||
    !ALLOWED.test(separator) ||
    separator.length > MAX_SEPARATOR_LENGTH
  ) {
    throw new TypeError(
      `[@mcpx/router] separator must be 1 to ${MAX_SEPARATOR_LENGTH} of A-Z a-z 0-9 _ - .`,
    )
  }
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > SPEC_MAX_LENGTH) {
    throw new TypeError(`[@mcpx/router] maxLength must be an integer from 1 to ${SPEC_MAX_LENGTH}`)
  }

  function expose(prefix: string, name: string): string {
    if (prefix !== '') assertPrefix(prefix)
    const head = prefix === '' ? '' : prefix + separator
    const candidate = head + name
    if (name !== '' && isValidToolName(candidate, maxLength)) return candidate
    const digest = digestOf(prefix, name)
    // An empty name (invalid in MCP) becomes the hash alone, behind the prefix.
    if (name === '') return fit(head, '', digest, maxLength)
    return fit(candidate.replace(DISALLOWED, '_'), '_', digest, maxLength)
  }

  function parse(exposed: string, prefixes: readonly string[]) {
    // Every character of a valid `exposed` is allowed, so a prefix that
    // matches it (with the separator) is made of allowed characters too.
    if (!isValidToolName(exposed, maxLength)) return undefined
    let best: { prefix: string; name: string } | undefined
    for (const prefix of prefixes) {
      if (best !== undefined && prefix.length <= best.prefix.length) continue
      if (prefix.length > MAX_PREFIX_LENGTH) continue
      const head = prefix === '' ? '' : prefix + separator
      if (exposed.length > head.length && exposed.startsWith(head)) {
        best = { prefix, name: exposed.slice(head.length) }
      }
    }
    return best
  }

  return { expose, parse }
}

/**
 * 8 base-36 characters (about 41 bits) of a hash of the original pair. The
 * pair, not the joined candidate: `a` + `b_c` and `a_b` + `c` join to the same
 * string, and must still shorten to different names.
 */
function digestOf(prefix: string, name: string): string {
  const value = hash53(`${prefix}\u0000${name}`) % HASH_RANGE
  return value.toString(36).padStart(HASH_CHARS, '0')
}

/** `stem` cut so that `stem + joiner + digest` fits in `maxLength`. */
function fit(stem: string, joiner: string, digest: string, maxLength: number): string {
  const room = maxLength - joiner.length - digest.length
  if (room <= 0 || stem === '') return digest.slice(0, maxLength)
  return stem.slice(0, room) + joiner + digest
}
