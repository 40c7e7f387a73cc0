import { type Alphabet, escapeRegExp, partsSource, splitParts, type Token } from './segments.js'

/** Longest template {@link compileUriTemplate} accepts, in UTF-16 code units. */
export const MAX_TEMPLATE_LENGTH = 1024

/** `{x}` stops at the characters simple expansion percent-encodes and separates by. */
const TEMPLATE: Alphabet = { star: '[^/?#,]', separator: '[/?#,]' }
const ANY_ONE = '[\\s\\S]'

/** RFC 6570 §2.2: `+` and `#` reserved; `.` `/` `;` `?` `&` prefixed. */
const OPERATORS = new Set(['+', '#', '.', '/', ';', '?', '&'])
/** Operators RFC 6570 §2.2 keeps for future extensions. */
const RESERVED = new Set(['=', ',', '!', '@', '|'])
/** RFC 6570 §2.3: varname, then an optional `*` or `:1`…`:9999`. */
const VARSPEC =
  /^(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})+(?:\.(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})+)*(?:\*|:[1-9][0-9]{0,3})?$/

interface Expression {
  /** `''` for simple expansion. */
  readonly operator: string
  /** Several variables, or one exploded: a list of values. */
  readonly list: boolean
}
type Piece = string | Expression

function templateError(template: string, why: string): TypeError {
  const shown = template.length > 64 ? `${template.slice(0, 64)}…` : template
  return new TypeError(`[@mcpx/router] uri template ${JSON.stringify(shown)}: ${why}`)
}

function parseExpression(template: string, body: string): Expression {
  const first = body[0] ?? ''
  if (RESERVED.has(first)) throw templateError(template, `operator "${first}" is reserved`)
  const operator = OPERATORS.has(first) ? first : ''
  const specs = body.slice(operator.length).split(',')
  for (const spec of specs) {
    if (!VARSPEC.test(spec)) throw templateError(template, `bad variable "${spec}"`)
  }
  return { operator, list: specs.length > 1 || specs.some((spec) => spec.endsWith('*')) }
}

/** Literal text and expressions, in order (RFC 6570 §2). */
function parse(template: string): Piece[] {
  const pieces: Piece[] = []
  let at = 0
  while (at < template.length) {
    const open = template.indexOf('{', at)
    const close = template.indexOf('}', at)
    if (close !== -1 && (open === -1 || close < open))
      throw templateError(template, `"}" at ${close} closes nothing`)
    if (open === -1) {
      pieces.push(template.slice(at))
      break
    }
    if (open > at) pieces.push(template.slice(at, open))
    if (close === -1) throw templateError(template, `"{" at ${open} is not closed`)
    const body = template.slice(open + 1, close)
    if (body.includes('{')) throw templateError(template, `"{" inside the expression at ${open}`)
    if (body === '') throw templateError(template, `empty expression at ${open}`)
    pieces.push(parseExpression(template, body))
    at = close + 1
  }
  return pieces
}

/** What an expression inside the template adds: its fixed atoms, then a star. */
function expressionTokens({ operator, list }: Expression): [string[], '*' | '**'] {
  if (operator === '') return [[TEMPLATE.star], '*']
  if (operator === '+') return [[ANY_ONE], '**']
  const prefix = escapeRegExp(operator)
  const anything =
    operator === '#' || operator === '?' || operator === '&' || (operator === '/' && list)
  return anything ? [[prefix, ANY_ONE], '**'] : [[prefix, TEMPLATE.star], '*']
}

/** Chunks of atoms between stars, as `segments` translates them. */
function tokensOf(pieces: readonly Piece[]): Token[] {
  let chunk: string[] = []
  const tokens: Token[] = [chunk]
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      for (const c of piece) chunk.push(escapeRegExp(c))
      continue
    }
    const [atoms, star] = expressionTokens(piece)
    chunk.push(...atoms)
    chunk = []
    tokens.push(star, chunk)
  }
  return tokens
}

/**
 * Compiles an RFC 6570 URI template, as MCP `resources/templates/list`
 * publishes them, into a test of whether a URI is one of its expansions.
 *
 * Literal text matches itself exactly (case-sensitively; percent-encodings
 * are not decoded). Expressions match:
 * - `{x}` (also `{x,y}`, `{x*}`, `{x:3}`): one or more characters other than
 *   `/`, `?`, `#` and `,`: a simple-expansion value, whose reserved characters
 *   are percent-encoded. List and multi-variable values, which are joined by
 *   `,`, do not match.
 * - `{+x}` (reserved expansion, also with several variables or `*`): one or
 *   more characters of any kind.
 * - `{#x}`, `{.x}`, `{/x}`, `{;x}`, `{?x}`, `{&x}` at the end of the template
 *   (after its last literal text and its last `{x}` or `{+x}`) are optional,
 *   as RFC 6570 expands undefined variables to nothing: the URI may end
 *   there, or go on with the operator character of one of them followed by
 *   anything. `search://{q}{?limit,page}` matches `search://cats` and
 *   `search://cats?limit=5&page=2`; `file:///{+path}{#part}` matches
 *   `file:///a/b.md` and `file:///a/b.md#intro`.
 * - The same expressions with more of the template after them are required:
 *   the operator character, then a value: for `#`, `?` and `&` one or more
 *   characters of any kind; for `.`, `/` and `;` one or more characters
 *   other than `/ ? # ,` (`{/x*}` and `{/x,y}`: any characters).
 *
 * Matching takes time about linear in the URI, however ambiguous the
 * template (`{a}-{b}`, `{+path}.{ext}`): the translation is the one globs use,
 * with `/ ? # ,` as separators.
 *
 * @throws TypeError when the template is not a string, is longer than
 *   {@link MAX_TEMPLATE_LENGTH}, has a `{` without its `}`, a `}` without its
 *   `{`, a `{` inside an expression, an empty expression, a reserved operator
 *   (`= , ! @ |`), or a variable that is not RFC 6570's `varname`, optionally
 *   with `*` or `:1` to `:9999`.
 * @example
 * ```ts
 * const profile = compileUriTemplate('users://{id}/profile')
 * profile('users://42/profile') // true
 * profile('users://42/7/profile') // false
 * ```
 */
export function compileUriTemplate(template: string): (uri: string) => boolean {
  if (typeof template !== 'string')
    throw new TypeError('[@mcpx/router] a uri template must be a string')
  if (template.length > MAX_TEMPLATE_LENGTH)
    throw templateError(template, `longer than ${MAX_TEMPLATE_LENGTH} characters`)
  const pieces = parse(template)
  if (pieces.every((piece) => typeof piece === 'string')) return (uri) => uri === template
  // The trailing operator expressions: only their first characters matter.
  let end = pieces.length
  const optional = (p: Piece | undefined) =>
    typeof p === 'object' && !['', '+'].includes(p.operator)
  while (end > 0 && optional(pieces[end - 1])) end--
  const starts = new Set(pieces.slice(end).map((p) => escapeRegExp((p as Expression).operator)))
  const tail = starts.size === 0 ? '$' : `(?:$|(?=[${[...starts].join('')}]))`
  const body = partsSource(splitParts(tokensOf(pieces.slice(0, end))), TEMPLATE)
  const re = new RegExp(`^${body}${tail}`)
  return (uri) => typeof uri === 'string' && re.test(uri)
}
