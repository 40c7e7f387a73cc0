import { rewriteTools, type ToolRules } from '@mcpx/transformers'
import { at, isObject, nearest, object, type Problems, shown } from './check.js'
import type { RewriteToolsSection } from './config-types-transformers.js'
import { checkWith, keysOf, type Options, type RefusalReader } from './refusals.js'

// The `transformers.rewriteTools` section: `rewriteTools()`'s rules as it takes them, one set
// for every upstream or a set per upstream of the file (its router entry: every replica gets
// them). Each set is checked by the factory itself, and its annotation overrides here.

const RULES = [
  'allow',
  'deny',
  'rename',
  'descriptions',
  'annotations',
  'inject',
  'maxResultBytes',
  'onOversize',
  'truncationMarker',
] as const satisfies readonly (keyof ToolRules)[]
/** MCP `ToolAnnotations` (2025-06-18 §Tool): the display title and four hints. */
const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']
const ANNOTATIONS = ['title', ...HINTS]

/**
 * An option of one set of rules as keys: `allow[0]`, `rename.<tool>`,
 * `annotations.<tool>`. A tool name may hold dots (`search.v2`): all after
 * the first dot is the name.
 */
const RULES_READER: RefusalReader = {
  prefix: '[@mcpx/transformers] ',
  keysOf(option) {
    const dot = option.indexOf('.')
    return dot < 0 ? keysOf(option) : [option.slice(0, dot), option.slice(dot + 1)]
  },
}

/** The upstreams a set of rules may name: the routed ones, and the backups (refused). */
export interface RoutedNames {
  readonly names: readonly string[]
  readonly backups: readonly string[]
}

/** The `transformers.rewriteTools` section. */
export function checkRewriteTools(
  value: unknown,
  upstreams: RoutedNames,
  problems: Problems,
): RewriteToolsSection | undefined {
  const path = 'transformers.rewriteTools'
  if (value === undefined) return undefined
  if (!isObject(value)) return problems.add(path, `must be an object of rules, got ${shown(value)}`)
  if (value.upstreams === undefined) return checkRules(value, path, problems)
  const before = problems.list.length
  for (const key of Object.keys(value)) {
    if (key === 'upstreams') continue
    const rule = (RULES as readonly string[]).includes(key)
    problems.add(
      at(path, key),
      rule ? 'goes inside upstreams.<name> when upstreams is given' : 'unknown key',
    )
  }
  const where = at(path, 'upstreams')
  if (!isObject(value.upstreams)) {
    return problems.add(
      where,
      `must be an object of upstream name → rules, got ${shown(value.upstreams)}`,
    )
  }
  const rules = Object.entries(value.upstreams).map(([name, item]) => {
    const named = checkUpstream(name, at(where, name), upstreams, problems)
    const checked = checkRules(item, at(where, name), problems)
    return named && checked && ([name, checked] as const)
  })
  if (problems.list.length > before || rules.some((entry) => !entry)) return undefined
  // Every other upstream is left alone on purpose (its name was checked): no rules, said so,
  // rather than the factory's line for an upstream it has no rules for.
  const others = upstreams.names.filter((name) => !Object.hasOwn(value.upstreams as object, name))
  // fromEntries defines own properties: an upstream named "__proto__" stays an upstream.
  return {
    upstreams: Object.fromEntries([
      ...(rules as [string, ToolRules][]),
      ...others.map((name) => [name, {}] as const),
    ]),
  }
}

/** A key of `upstreams`: one of the file's routed upstreams. */
function checkUpstream(
  name: string,
  path: string,
  { names, backups }: RoutedNames,
  problems: Problems,
): boolean {
  if (names.includes(name)) return true
  if (backups.includes(name)) {
    // failover() sends the primary's messages to it below the transformers: they keep the primary's rules.
    return (
      problems.add(
        path,
        `names "${name}", a backup: the messages it serves keep their primary's rules`,
      ) ?? false
    )
  }
  const near = nearest(name, names)
  const known = names.map((n) => `"${n}"`).join(', ')
  const hint = near ? ` (did you mean ${near}?)` : ''
  return (
    problems.add(path, `names no upstream: "${name}"${hint} (the upstreams are ${known})`) ?? false
  )
}

/** One set of rules, through `rewriteTools()` itself. */
function checkRules(value: unknown, path: string, problems: Problems): ToolRules | undefined {
  if (!isObject(value)) return problems.add(path, `must be an object of rules, got ${shown(value)}`)
  const section = object(value, path, problems, RULES)!
  const before = problems.list.length
  checkAnnotations(section.annotations, at(path, 'annotations'), problems)
  const options: Options = Object.fromEntries(
    RULES.filter((key) => section[key] !== undefined).map((key) => [key, section[key]]),
  )
  // Refused here already, by key and with a hint: the factory's word on them would say it twice.
  if (problems.list.length > before) delete options.annotations
  const build = (o: Options) => void rewriteTools({ ...o, log: () => {} })
  const ok = checkWith(options, path, problems, build, RULES_READER)
  return ok && problems.list.length === before ? (options as ToolRules) : undefined
}

/**
 * Annotation overrides are laid over the upstream's and sent to clients as
 * they are; a client validating `tools/list` refuses a hint that is not a
 * boolean. The factory types them too; here an unknown key is also a typo
 * (`readonlyHint`) rather than an upstream's own annotation.
 */
function checkAnnotations(value: unknown, path: string, problems: Problems): void {
  if (!isObject(value)) return
  for (const [tool, overrides] of Object.entries(value)) {
    const where = at(path, tool)
    if (!isObject(overrides)) continue // the factory's own refusal names it
    object(overrides, where, problems, ANNOTATIONS)
    for (const [key, hint] of Object.entries(overrides)) {
      if (HINTS.includes(key) && typeof hint !== 'boolean') {
        problems.add(at(where, key), `must be true or false, got ${shown(hint)}`)
      } else if (key === 'title' && typeof hint !== 'string') {
        problems.add(at(where, key), `must be a string, got ${shown(hint)}`)
      }
    }
  }
}
