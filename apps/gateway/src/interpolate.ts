import { at, isObject, Problems } from './check.js'

/** Where `${NAME}` is looked up: `process.env` in the gateway, a plain object in tests. */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * `$${` (an escaped `${`), or `${` and what follows up to the next `}`.
 * What is inside is checked apart, so that a malformed reference is
 * reported instead of passing through as text.
 */
const REFERENCE = /\$\$\{|\$\{([^}]*)(\})?/g
/** `NAME` or `NAME:-default`; the default runs to the closing brace. */
const INSIDE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s

/** A parsed config with its variables replaced, or every reference that could not be. */
export type Interpolated = { ok: true; value: unknown } | { ok: false; problems: readonly string[] }

/**
 * Replace `${NAME}` in every string value of a parsed config (issue 15)
 * with the variable's value, and `${NAME:-default}` with the default when
 * the variable is unset or empty; `$${` stands for a literal `${`. Keys are
 * never rewritten, and a value is scanned once: what a variable holds is
 * not interpolated again. A variable that is unset and has no default is a
 * problem under the value's path; messages name the variable, never a value.
 *
 * @example
 * ```ts
 * interpolate({ auth: { jwt: { secret: '${JWT_SECRET}' } } }, process.env)
 * ```
 */
export function interpolate(value: unknown, env: Environment): Interpolated {
  const problems = new Problems()
  const result = walk(value, '', env, problems)
  return problems.list.length > 0
    ? { ok: false, problems: problems.list }
    : { ok: true, value: result }
}

function walk(value: unknown, path: string, env: Environment, problems: Problems): unknown {
  if (typeof value === 'string')
    return value.includes('$') ? replace(value, path, env, problems) : value
  if (Array.isArray(value)) return value.map((item, i) => walk(item, at(path, i), env, problems))
  if (!isObject(value)) return value
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, walk(item, at(path, key), env, problems)]),
  )
}

function replace(text: string, path: string, env: Environment, problems: Problems): string {
  return text.replace(
    REFERENCE,
    (match, inside: string | undefined, closed: string | undefined) => {
      if (match === '$${') return '${'
      const value = closed === undefined ? undefined : lookUp(inside!, env)
      if (typeof value === 'string') return value
      problems.add(
        path,
        value?.problem ?? `has a "\${" without its closing "}" (write "$\${" for a literal "\${")`,
      )
      return match
    },
  )
}

/** The value of one `${…}`, or what is wrong with it. */
function lookUp(inside: string, env: Environment): string | { problem: string } {
  const reference = INSIDE.exec(inside)
  if (reference === null) {
    return { problem: `has a "\${…}" that is neither \${NAME} nor \${NAME:-default}` }
  }
  const [, name, fallback] = reference as unknown as [string, string, string | undefined]
  if (fallback?.includes('${')) {
    return { problem: `the default of \${${name}:-…} may not hold another "\${"` }
  }
  const set = Object.hasOwn(env, name) ? env[name] : undefined
  // POSIX `:-`: the default stands in for a variable that is unset or empty.
  if (set !== undefined && set !== '') return set
  if (fallback !== undefined) return fallback
  if (set === '') return ''
  return { problem: `variable ${name} is not set (give a default with \${${name}:-…})` }
}
