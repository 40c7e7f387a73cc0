/** Longest pattern accepted, as in the router's globs. */
const MAX_PATTERN_LENGTH = 1024

/**
 * A name pattern over tool and prompt names, resource URIs and methods, in
 * the glob syntax every mcpx package uses (the router's routes, auth's
 * scope rules, rate-limit overrides), so that one pattern means the same
 * everywhere: `*` any run without `/`, `**` any run, `?` one character other
 * than `/`, `\` escapes the next character; anything else is literal, and
 * the whole name must match. Compiled once, into an equality test when the
 * pattern has no wildcard.
 *
 * @throws TypeError when the pattern is empty, over 1,024 characters, or ends in a lone `\`
 * @example
 * ```ts
 * const admin = compileGlob('admin_*')
 * admin('admin_reset') // true
 * admin('math_add') // false
 * ```
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  if (typeof pattern !== 'string' || pattern === '' || pattern.length > MAX_PATTERN_LENGTH) {
    throw new TypeError('[@mcpx/core] a pattern must be a string of 1 to 1024 characters')
  }
  if (!/[*?\\]/.test(pattern)) return (name) => name === pattern
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '\\') {
      const next = pattern[++i]
      if (next === undefined)
        throw new TypeError(`[@mcpx/core] pattern ends in a lone \\: ${pattern}`)
      source += literal(next)
    } else if (c === '*') {
      let stars = 1
      while (pattern[i + 1] === '*') {
        stars++
        i++
      }
      source += stars > 1 ? '[\\s\\S]*' : '[^/]*'
    } else if (c === '?') source += '[^/]'
    else source += literal(c)
  }
  const regex = new RegExp(`^(?:${source})$`, 'u')
  return (name) => regex.test(name)
}

function literal(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c
}
