import { type Algorithm, fixedWindow, slidingWindow, tokenBucket } from '@mcpx/ratelimit'
import { at, isObject, object, type Problems, required, shown } from './check.js'

/** The keys of an `algorithm`, each naming a factory of `@mcpx/ratelimit`, with its options. */
const FACTORIES = {
  tokenBucket: { build: tokenBucket, options: ['capacity', 'refillPerSecond'] },
  slidingWindow: { build: slidingWindow, options: ['limit', 'windowMs'] },
  fixedWindow: { build: fixedWindow, options: ['limit', 'windowMs'] },
} as const
type Kind = keyof typeof FACTORIES
const KINDS = Object.keys(FACTORIES) as Kind[]
const NEEDS = `needs one of ${KINDS.join(', ')}`
/** `tokenBucket() capacity must be > 0`: the factory, the option, and what is wrong with it. */
const OPTION_PROBLEM = /^\w+\(\) (\w+) (.*)$/s

/**
 * An algorithm as the file says it, `{ slidingWindow: { limit, windowMs } }`,
 * built now: the factory runs once, so that what only it checks (a limit of
 * 0, a window that is not a whole number of milliseconds) is a problem under
 * the option's path.
 */
export function checkAlgorithm(
  value: unknown,
  path: string,
  problems: Problems,
): Algorithm | undefined {
  if (value === undefined) return problems.add(path, `is required: it ${NEEDS}`)
  const file = object(value, path, problems, KINDS)
  if (file === undefined) return undefined
  const given = KINDS.filter((kind) => file[kind] !== undefined)
  if (given.length !== 1) {
    const how = given.length === 0 ? NEEDS : `needs exactly one of ${KINDS.join(', ')}`
    return problems.add(path, how)
  }
  const kind = given[0]!
  const where = at(path, kind)
  const { build, options } = FACTORIES[kind]
  if (!isObject(file[kind])) {
    return problems.add(
      where,
      `must be an object of ${options.join(', ')}, got ${shown(file[kind])}`,
    )
  }
  const params = object(file[kind], where, problems, options)!
  let ok = true
  for (const option of options) {
    // Numbers stay numbers: `${VAR}` makes a string, which is refused here, not converted.
    const n = required(params[option], at(where, option), problems, (v, p, list) =>
      typeof v === 'number' ? v : list.add(p, `must be a number, got ${shown(v)}`),
    )
    if (n === undefined) ok = false
  }
  if (!ok) return undefined
  try {
    return (build as (options: unknown) => Algorithm)(params)
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    const why = error.message.replace(/^\[@mcpx\/ratelimit\] /, '')
    const named = OPTION_PROBLEM.exec(why)
    return named ? problems.add(at(where, named[1]!), named[2]!) : problems.add(where, why)
  }
}
