// The built-in secret patterns and key names of redact(), and the one
// regular expression they compile into. Every built-in source is written to
// run in linear time: each alternative that starts with a run of characters
// is anchored by a lookbehind (or `\b`), so a long run that is no secret is
// tried once from its start, never from each of its characters.

/** The names of the built-in value patterns; see {@link defaultRedactPatterns}. */
export type RedactPatternName =
  | 'bearer'
  | 'jwt'
  | 'privateKey'
  | 'aws'
  | 'github'
  | 'slack'
  | 'stripe'
  | 'openai'
  | 'google'
  | 'email'

interface Builtin {
  /** Regex source without capture groups, or with exactly one: the secret part (the rest is kept). */
  readonly source: string
  readonly group: boolean
  /** The shortest string it can match: shorter strings are not searched. */
  readonly min: number
}

// Compiled together with the `i` flag (one pass over each string for every
// built-in): none of these prefixes occurs in ordinary words in either case.
const BUILTINS: Readonly<Record<RedactPatternName, Builtin>> = {
  // RFC 6750 §2.1 b64token (token68), after the scheme, which is kept; 8 characters at least, so
  // that "bearer of" in prose is none.
  bearer: { source: String.raw`\bbearer[ \t]+([A-Za-z0-9\-._~+/]{8,}=*)`, group: true, min: 15 },
  // RFC 7519 compact serialization: a base64url JSON header (`{"` is `eyJ`), two or more parts.
  jwt: {
    source: String.raw`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){1,3}`,
    group: false,
    min: 17,
  },
  // A PEM private key (RFC 7468), whole; a block cut short (no END line) to the next `-----` or the end.
  privateKey: {
    source: String.raw`-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[^-]*(?:-(?!----)[^-]*)*(?:-----END[A-Z0-9 ]*PRIVATE KEY-----)?`,
    group: false,
    min: 27,
  },
  // AWS access key ids (long-term AKIA, temporary ASIA, and the rarer kinds).
  aws: { source: String.raw`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`, group: false, min: 20 },
  // GitHub: personal, OAuth, user-to-server, server-to-server and refresh tokens; fine-grained PATs.
  github: {
    source: String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`,
    group: false,
    min: 26,
  },
  slack: { source: String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,250}`, group: false, min: 15 },
  // Stripe secret and restricted keys, live and test (publishable pk_ keys are public).
  stripe: {
    source: String.raw`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,250}`,
    group: false,
    min: 18,
  },
  // OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-) keys.
  openai: { source: String.raw`\bsk-[A-Za-z0-9_-]{32,250}`, group: false, min: 35 },
  google: { source: String.raw`\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])`, group: false, min: 39 },
  email: {
    source: String.raw`(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
    group: false,
    min: 6,
  },
}

/** Every built-in pattern's name. */
export const redactPatternNames: readonly RedactPatternName[] = Object.freeze(
  Object.keys(BUILTINS) as RedactPatternName[],
)

/** The built-in patterns on by default: all but `email` (addresses are often the data itself). */
export const defaultRedactPatterns: readonly RedactPatternName[] = Object.freeze(
  redactPatternNames.filter((name) => name !== 'email'),
)

/**
 * The key names and globs redacted by default (matched case-insensitively,
 * in core's glob syntax). Not `*token` nor `*_key`: MCP's own
 * `progressToken`, `max_tokens` and a database's `primary_key` are no secrets.
 */
export const defaultRedactKeys: readonly string[] = Object.freeze([
  '*password',
  '*passwd',
  '*passphrase',
  'pwd',
  '*secret',
  '*secret_key',
  '*secretkey',
  '*secret-key',
  '*_access_key',
  'accesskey',
  'token',
  '*_token',
  '*-token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'authtoken',
  'sessiontoken',
  'csrftoken',
  'api_key',
  'apikey',
  'api-key',
  '*_api_key',
  '*_apikey',
  '*-api-key',
  'private_key',
  'privatekey',
  '*_private_key',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'credential',
  'credentials',
  'connection_string',
  'connectionstring',
])

/** Characters of a key in text: `*` in a key glob stands for a run of them. */
const ID = 'a-z0-9_.\\-'

/**
 * The separator and value after a key in text: a quoted string (kept
 * quoted), an escaped-quoted one (JSON inside JSON), a scheme and its
 * credentials (`Authorization: Basic …`), or a bare run up to a delimiter.
 * A quote left open runs to the end of the line.
 */
const SEP_VALUE = String.raw`((?:\\?["'])?[ \t]*[:=][ \t]*)(\\"(?:[^"\\\n]|\\[^"\n])*\\"|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|(?:(?:basic|bearer|digest|token|negotiate)[ \t]+)?[^\s"',;&}\]\\<>=][^\s"',;&}\]\\<>]*|["'][^"'\n]*)`

/** One alternative of a compiled regex: which rule, and which capture groups are its own. */
export interface Alternative {
  /** The pattern's name. */
  readonly rule: string
  /** The capture group holding the whole alternative. */
  readonly index: number
  /** The capture group of the secret part, for a pattern that keeps the rest (a bearer token's scheme). */
  readonly inner: number | undefined
}

/** Built-in patterns as one case-insensitive global regex (one pass over each string). */
export interface CompiledPatterns {
  readonly regex: RegExp
  /** The shortest string any of them can match. */
  readonly min: number
  readonly alternatives: readonly Alternative[]
}

/** One regex for the built-in patterns `names`, or undefined when there are none. */
export function compileBuiltins(names: readonly RedactPatternName[]): CompiledPatterns | undefined {
  const sources: string[] = []
  const alternatives: Alternative[] = []
  let group = 1
  let min = Number.POSITIVE_INFINITY
  for (const name of names) {
    const { source, group: secret } = BUILTINS[name]
    min = Math.min(min, BUILTINS[name].min)
    sources.push(`(${source})`)
    alternatives.push({ rule: name, index: group, inner: secret ? group + 1 : undefined })
    group += secret ? 2 : 1
  }
  if (sources.length === 0) return undefined
  return { regex: new RegExp(sources.join('|'), 'gi'), alternatives, min }
}

/**
 * Keys in text (`password=…`, `"api_key": "…"`) as one case-insensitive
 * global regex: group 1 is the key's end as the regex finds it (a glob's
 * leading `*` dropped, so that the search starts at a literal), group 2 the
 * separator, group 3 the value. The caller reads the whole key back to its
 * start and checks it against the keys, so a key in text means exactly
 * what it means in an object.
 */
export function compileKeysInText(lowerKeys: readonly string[]): RegExp | undefined {
  const cores = new Set<string>()
  for (const key of lowerKeys) cores.add(coreOf(key))
  if (cores.size === 0) return undefined
  // Longest first: an alternation takes the first that matches.
  const sorted = [...cores].sort((a, b) => b.length - a.length)
  return new RegExp(`(${sorted.join('|')})${SEP_VALUE}`, 'gi')
}

/** A key glob as a regex source without its leading stars; a key of stars only is any key. */
function coreOf(glob: string): string {
  let i = 0
  while (glob[i] === '*') i++
  let source = ''
  for (; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '\\') source += literalOf(glob[++i] ?? '')
    else if (c === '*') {
      while (glob[i + 1] === '*') i++
      source += `[${ID}]*`
    } else if (c === '?') source += `[${ID}]`
    else source += literalOf(c)
  }
  return source === '' ? `[${ID}]+` : source
}

function literalOf(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c
}

/** Whether `c` (one character) may be part of a key in text. */
export function isKeyChar(c: string | undefined): boolean {
  return c !== undefined && /[a-z0-9_.-]/i.test(c)
}

/** Whether `name` is a built-in pattern's. */
export function isPatternName(name: unknown): name is RedactPatternName {
  return typeof name === 'string' && Object.hasOwn(BUILTINS, name)
}
