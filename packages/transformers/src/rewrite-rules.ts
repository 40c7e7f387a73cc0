import { compileGlob } from '@mcpx/core'
import { fail, integer, options as known } from './validate.js'

/** Annotations a rule may set on a tool (MCP `ToolAnnotations`: hints, and the display title). */
export interface ToolAnnotationOverrides {
  readonly title?: string
  readonly readOnlyHint?: boolean
  readonly destructiveHint?: boolean
  readonly idempotentHint?: boolean
  readonly openWorldHint?: boolean
  readonly [hint: string]: unknown
}

/** The type MCP's `ToolAnnotations` gives each annotation it defines (others are the rule's own). */
const ANNOTATION_TYPES: ReadonlyMap<string, 'string' | 'boolean'> = new Map([
  ['title', 'string'],
  ['readOnlyHint', 'boolean'],
  ['destructiveHint', 'boolean'],
  ['idempotentHint', 'boolean'],
  ['openWorldHint', 'boolean'],
])

/** What `rewriteTools()` does to one upstream's tools. Tools are named as that upstream names them. */
export interface ToolRules {
  /** Globs (core's syntax) over the upstream's tool names: only tools one matches are shown and callable. @defaultValue every tool */
  readonly allow?: readonly string[]
  /** Globs over the upstream's tool names: tools one matches are hidden and refused, whatever `allow` says. @defaultValue none */
  readonly deny?: readonly string[]
  /** The upstream's name → the name clients see (before a router's namespace prefix). @defaultValue none */
  readonly rename?: Readonly<Record<string, string>>
  /** The upstream's name → the description clients see instead of the upstream's. @defaultValue none */
  readonly descriptions?: Readonly<Record<string, string>>
  /** The upstream's name → annotations laid over the upstream's, key by key. @defaultValue none */
  readonly annotations?: Readonly<Record<string, ToolAnnotationOverrides>>
  /**
   * The upstream's name → arguments fixed by the gateway: removed from the
   * tool's `inputSchema` (`properties` and `required`), set on every call.
   * A client that sends one anyway has its value replaced, silently (see
   * the README, `rewriteTools()`). @defaultValue none
   */
  readonly inject?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  /** The most bytes a `tools/call` result may take as JSON (UTF-8). @defaultValue no limit */
  readonly maxResultBytes?: number
  /** Past `maxResultBytes`: cut the text content and append `truncationMarker`, or answer an `isError` result. @defaultValue 'truncate' */
  readonly onOversize?: 'truncate' | 'error'
  /** Appended to a cut text block. @defaultValue '\n[truncated by the gateway]' */
  readonly truncationMarker?: string
}

/** One upstream's rules, compiled once by `rewriteTools()`. */
export interface CompiledRules {
  /** Whether a tool of this upstream (by its own name) is shown and callable. */
  visible(original: string): boolean
  /** The name clients see for the upstream's `original`. */
  exposed(original: string): string
  /** The upstream's own name for a name clients use, or undefined when no listed tool has it. */
  original(exposed: string): string | undefined
  /** Whether the upstream's tool `original` gives up its name to another one's rename. */
  shadowed(original: string): boolean
  readonly descriptions: ReadonlyMap<string, string>
  readonly annotations: ReadonlyMap<string, ToolAnnotationOverrides>
  readonly inject: ReadonlyMap<string, Readonly<Record<string, unknown>>>
  readonly maxResultBytes: number | undefined
  readonly onOversize: 'truncate' | 'error'
  readonly truncationMarker: string
}

export const RULE_KEYS = [
  'allow',
  'deny',
  'rename',
  'descriptions',
  'annotations',
  'inject',
  'maxResultBytes',
  'onOversize',
  'truncationMarker',
]

/** MCP tool names (SEP-986): 1 to 128 of A–Z, a–z, 0–9, `_`, `-`, `.`. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/
const DEFAULT_MARKER = '\n[truncated by the gateway]'

/** Check `rules` (at `path`, '' for top-level options) and compile them; conflicts are TypeErrors. */
export function compileRules(path: string, rules: ToolRules): CompiledRules {
  const at = (key: string) => (path === '' ? key : `${path}.${key}`)
  const o = known(path, rules, RULE_KEYS, path === '' ? 'rewriteTools() options' : path)
  const allow = globs(at('allow'), o.allow)
  const deny = globs(at('deny'), o.deny) ?? []
  const listed = (name: string) =>
    (allow === undefined || allow.some((match) => match(name))) && !deny.some((m) => m(name))

  const rename = record(at('rename'), o.rename, (key, value) => {
    if (typeof value !== 'string' || !TOOL_NAME.test(value)) {
      fail(`${at('rename')}.${key}`, 'a tool name: 1 to 128 of A-Z a-z 0-9 _ - .')
    }
    return value
  })
  const byExposed = new Map<string, string>()
  for (const [original, exposed] of rename) {
    const other = byExposed.get(exposed)
    if (other !== undefined) {
      fail(
        at('rename'),
        `one name per tool: "${other}" and "${original}" are both renamed "${exposed}"`,
      )
    }
    if (!listed(exposed)) {
      fail(
        `${at('rename')}.${original}`,
        `a name allow and deny let through: "${exposed}" is hidden`,
      )
    }
    byExposed.set(exposed, original)
  }
  const descriptions = record(at('descriptions'), o.descriptions, (key, value) => {
    if (typeof value !== 'string') fail(`${at('descriptions')}.${key}`, 'a string')
    return value
  })
  const annotations = record(at('annotations'), o.annotations, (key, value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail(`${at('annotations')}.${key}`, 'an object of annotations')
    }
    // What MCP types: a client that checks tools/list would refuse `readOnlyHint: "yes"`.
    for (const [name, annotation] of Object.entries(value)) {
      const rule = ANNOTATION_TYPES.get(name)
      if (rule !== undefined && typeof annotation !== rule) {
        fail(`${at('annotations')}.${key}.${name}`, `a ${rule}`)
      }
    }
    return value as ToolAnnotationOverrides
  })
  const inject = record(at('inject'), o.inject, (key, value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail(`${at('inject')}.${key}`, 'an object of arguments')
    }
    if (Object.keys(value).length === 0) fail(`${at('inject')}.${key}`, 'at least one argument')
    return value as Record<string, unknown>
  })
  // A rule for a tool that allow and deny hide can never apply: a typo, or a rule in the wrong place.
  for (const [option, map] of [
    ['rename', rename],
    ['descriptions', descriptions],
    ['annotations', annotations],
    ['inject', inject],
  ] as const) {
    for (const name of map.keys()) {
      if (!listed(name)) fail(`${at(option)}.${name}`, `about a tool allow and deny let through`)
    }
  }
  const maxResultBytes =
    o.maxResultBytes === undefined
      ? undefined
      : integer(at('maxResultBytes'), o.maxResultBytes, 0, 64)
  const onOversize = o.onOversize ?? 'truncate'
  if (onOversize !== 'truncate' && onOversize !== 'error') {
    fail(at('onOversize'), "'truncate' or 'error'")
  }
  const truncationMarker = o.truncationMarker ?? DEFAULT_MARKER
  if (typeof truncationMarker !== 'string') fail(at('truncationMarker'), 'a string')
  if (maxResultBytes !== undefined && utf8Length(truncationMarker) * 2 > maxResultBytes) {
    fail(at('truncationMarker'), 'at most half of maxResultBytes')
  }

  return {
    visible: listed,
    exposed: (original) => rename.get(original) ?? original,
    original(exposed) {
      const renamed = byExposed.get(exposed)
      if (renamed !== undefined) return renamed
      // The upstream's own name of a renamed tool is gone, as is one another tool's rename took.
      if (rename.has(exposed) || !listed(exposed)) return undefined
      return exposed
    },
    shadowed: (original) => !rename.has(original) && byExposed.has(original),
    descriptions,
    annotations,
    inject,
    maxResultBytes,
    onOversize,
    truncationMarker,
  }
}

function globs(option: string, value: unknown): ((name: string) => boolean)[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) fail(option, 'an array of globs')
  return value.map((pattern, i) => {
    try {
      return compileGlob(pattern)
    } catch {
      return fail(`${option}[${i}]`, 'a glob of 1 to 1024 characters (not ending in a lone \\)')
    }
  })
}

function record<T>(
  option: string,
  value: unknown,
  check: (key: string, value: unknown) => T,
): Map<string, T> {
  const map = new Map<string, T>()
  if (value === undefined) return map
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(option, 'an object keyed by tool name')
  }
  for (const [key, entry] of Object.entries(value)) {
    if (key === '') fail(option, 'keyed by non-empty tool names')
    map.set(key, check(key, entry))
  }
  return map
}

const encoder = new TextEncoder()

/** Bytes of `text` in UTF-8. */
export function utf8Length(text: string): number {
  // Most text is ASCII: its length is its byte count, and no buffer is needed to tell.
  let ascii = true
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false
      break
    }
  }
  return ascii ? text.length : encoder.encode(text).length
}
