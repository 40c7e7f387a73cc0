/** Longest pattern accepted, as in the router's globs. */
const MAX_PATTERN_LENGTH = 1024

/**
 * A name pattern, with the router's glob syntax so one pattern means the
 * same in both places: `*` any run without `/`, `**` any run, `?` one
 * character other than `/`, `\` escapes the next character; anything else
 * literal, and the whole name must match. A copy, because sibling packages
 * never import each other (a shared one would belong in core).
 */
export function compilePattern(pattern: string): (name: string) => boolean {
  if (typeof pattern !== 'string' || pattern === '' || pattern.length > MAX_PATTERN_LENGTH) {
    throw new TypeError('[@mcpx/auth] a pattern must be a string of 1 to 1024 characters')
  }
  if (!/[*?\\]/.test(pattern)) return (name) => name === pattern
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '\\') {
      const next = pattern[++i]
      if (next === undefined)
        throw new TypeError(`[@mcpx/auth] pattern ends in a lone \\: ${pattern}`)
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
