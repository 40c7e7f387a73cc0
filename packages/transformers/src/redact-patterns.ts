// The built-in secret patterns and key names of redact(), and the one
// regular expression they compile into. Every built-in source is written to
// run in linear time: each alternative that starts with a run of characters
// is anchored by a lookbehind (or by `\b` where the run holds only word
// characters: `\b` passes after every `-` of a run that holds `-`), so a
// long run that is no secret is tried once from its start, never from each
// of its characters; and every run is bounded, or consumed by the match.

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
  /** What every match holds near its start, found without a regex pass (see {@link Anchor}). */
  readonly anchors: readonly Anchor[]
}

/**
 * Text that every match of a pattern holds, `offset` characters after the
 * match's start (at most `offset`, when there is no `literal`).
 * `String#indexOf` finds a literal at memchr speed and checks the rest of
 * it natively, where any regex alternation costs a few cycles per
 * character; so a long string is searched at its anchors only. Short,
 * rare anchors: every one is searched once per long string.
 */
interface Anchor {
  /** Lower-case text, searched in each case it can take (the patterns are case-insensitive). */
  readonly text?: string
  /** Instead of `text`: a case-insensitive regex source matching where the anchor starts. */
  readonly regex?: string
  readonly offset: number
  /** Lower-case text that starts `offset` characters before the anchor, checked before the regex runs. */
  readonly literal?: string
}

// Compiled together with the `i` flag (one pass over each string for every
// built-in): none of these prefixes occurs in ordinary words in either case.
const BUILTINS: Readonly<Record<RedactPatternName, Builtin>> = {
  // RFC 6750 §2.1 b64token (token68), after the scheme, which is kept; 8 characters at least, so
  // that "bearer of" in prose is none.
  bearer: {
    source: String.raw`\bbearer[ \t]+([A-Za-z0-9\-._~+/]{8,}=*)`,
    group: true,
    min: 15,
    anchors: [{ regex: 'bearer', offset: 0 }],
  },
  // RFC 7519 compact serialization: a base64url JSON header (`{"` is `eyJ`), two or more parts.
  // It may follow `-` or `_` (`session-eyJ…`, `at_eyJ…`), but its header never runs over a
  // `-eyJ` or `_eyJ`: a run of them (`-eyJ-eyJ…`) is then read once, each header to the next
  // one, instead of each header to the run's end. Parts bounded: a header is tens of
  // characters, claims a few KB.
  jwt: {
    source: String.raw`(?<![A-Za-z0-9])eyJ(?:[A-Za-z0-9]|[-_](?!eyJ)){8,8192}\.[A-Za-z0-9_-]{4,65536}(?:\.[A-Za-z0-9_-]{0,65536}){1,3}`,
    group: false,
    min: 17,
    anchors: [{ text: 'j', offset: 2, literal: 'eyj' }],
  },
  // A PEM private key (RFC 7468) or an OpenPGP one (RFC 9580 §6.2 armor: `… PRIVATE KEY BLOCK`),
  // whole; a block cut short (no END line) to the next `-----` or the end.
  privateKey: {
    source:
      '-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[^-]*(?:-(?!----)[^-]*)*(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)?',
    group: false,
    min: 27,
    anchors: [{ text: '-----', offset: 0, literal: '-----begin' }],
  },
  // AWS access key ids (long-term AKIA, temporary ASIA, and the rarer kinds).
  // No rare character in these: a literal regex, which V8 searches far faster than the whole pattern.
  aws: {
    source: String.raw`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`,
    group: false,
    min: 20,
    anchors: [{ regex: 'a(?:kia|sia|bia|cca)', offset: 0 }],
  },
  // GitHub: personal, OAuth, user-to-server, server-to-server and refresh tokens; fine-grained PATs.
  github: {
    source: String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`,
    group: false,
    min: 26,
    anchors: [
      { text: '_', offset: 3, literal: 'gh' },
      { text: '_', offset: 6, literal: 'github_pat_' },
    ],
  },
  // Slack bot, user, app-configuration refresh (xoxe-) and legacy tokens, and app-level tokens (xapp-).
  slack: {
    source: String.raw`\b(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,250}`,
    group: false,
    min: 15,
    anchors: [
      { text: 'x', offset: 0, literal: 'xox' },
      { text: 'x', offset: 0, literal: 'xapp' },
    ],
  },
  // Stripe secret and restricted keys, live and test (publishable pk_ keys are public).
  stripe: {
    source: String.raw`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,250}`,
    group: false,
    min: 18,
    anchors: [
      { text: 'k_', offset: 1, literal: 'sk_' },
      { text: 'k_', offset: 1, literal: 'rk_' },
    ],
  },
  // OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-) keys.
  openai: {
    source: String.raw`\bsk-[A-Za-z0-9_-]{32,250}`,
    group: false,
    min: 35,
    anchors: [{ text: 'k-', offset: 1, literal: 'sk-' }],
  },
  google: {
    source: String.raw`\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])`,
    group: false,
    min: 39,
    anchors: [{ text: 'za', offset: 2, literal: 'aiza' }],
  },
  email: {
    source: String.raw`(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
    group: false,
    min: 6,
    // The local part before `@` is 1 to 64 characters.
    anchors: [{ text: '@', offset: 64 }],
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
  /**
   * The same alternatives, sticky, after up to `lead` skipped characters:
   * from a position, the leftmost match within `lead` of it (same capture
   * groups as `regex`; the match proper is the alternative's group).
   */
  readonly window: RegExp
  /** The largest anchor offset: a match starts at most this far before its anchor. */
  readonly lead: number
  readonly anchors: readonly CompiledAnchor[]
}

/** An anchor's finder, and the literals one of which must sit around it (none: always a candidate). */
export interface CompiledAnchor {
  /** The first position at or after `from` where the anchor starts, or -1. */
  readonly find: (s: string, from: number) => number
  readonly checks: readonly { readonly offset: number; readonly literal: string }[] | undefined
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
  const all = sources.join('|')
  const anchors = names.flatMap((name) => BUILTINS[name].anchors)
  const lead = Math.max(...anchors.map((a) => a.offset))
  return {
    regex: new RegExp(all, 'gi'),
    alternatives,
    min,
    window: new RegExp(`[^]{0,${lead}}?(?:${all})`, 'iy'),
    lead,
    anchors: compileAnchors(anchors),
  }
}

/** One finder per anchor text in each case (their checks merged), and one per anchor regex. */
function compileAnchors(anchors: readonly Anchor[]): CompiledAnchor[] {
  const byText = new Map<string, { offset: number; literal: string }[] | undefined>()
  const out: CompiledAnchor[] = []
  for (const a of anchors) {
    if (a.regex !== undefined) {
      const regex = new RegExp(a.regex, 'gi')
      out.push({ find: (s, from) => findRegex(regex, s, from), checks: undefined })
      continue
    }
    for (const text of casesOf(a.text ?? '')) {
      const checks = byText.has(text) ? byText.get(text) : []
      // An anchor without a literal makes every occurrence a candidate.
      if (checks !== undefined && a.literal !== undefined) {
        checks.push({ offset: a.offset, literal: a.literal })
      }
      byText.set(text, a.literal === undefined ? undefined : checks)
    }
  }
  for (const [text, checks] of byText) {
    out.push({ find: (s, from) => s.indexOf(text, from), checks })
  }
  return out
}

/** `lower` in every combination of upper and lower case. */
function casesOf(lower: string): string[] {
  let out = ['']
  for (const c of lower) {
    const upper = c.toUpperCase()
    out = out.flatMap((head) => (upper === c ? [head + c] : [head + c, head + upper]))
  }
  return out
}

function findRegex(regex: RegExp, s: string, from: number): number {
  regex.lastIndex = from
  const m = regex.exec(s)
  return m === null ? -1 : m.index
}

/** Whether `s` holds `lower` (lower-case ASCII) at `at`, in any case, as the patterns' `i` flag reads it. */
export function holdsAt(s: string, at: number, lower: string): boolean {
  if (at < 0 || at + lower.length > s.length) return false
  for (let i = 0; i < lower.length; i++) {
    const want = lower.charCodeAt(i)
    const got = s.charCodeAt(at + i)
    // Without the `u` flag only ASCII letters fold, and `| 32` lower-cases exactly those.
    if (got !== want && !(want >= 97 && want <= 122 && (got | 32) === want)) return false
  }
  return true
}

/** Whether `name` is a built-in pattern's. */
export function isPatternName(name: unknown): name is RedactPatternName {
  return typeof name === 'string' && Object.hasOwn(BUILTINS, name)
}
