// Compiled JSON Schema validators for tool input schemas, one per schema
// object, with a bound on how many are held at once (issue 13).
import { Ajv, type Options as AjvOptions, type ValidateFunction } from 'ajv'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { Ajv2020 } from 'ajv/dist/2020.js'

/** The JSON Schema dialects an input schema may be checked in. */
export type Dialect = '2020-12' | '2019-09' | 'draft-07'

/** A regular expression engine for `pattern` and `patternProperties` (RE2, say). */
export type RegExpEngine = (pattern: string, flags: string) => { test(value: string): boolean }

/** A compiled validator, or why there is none (a line for the log). */
export type Check = ValidateFunction | string

/** What {@link schemaCompiler} returns. */
export interface SchemaCompiler {
  /**
   * The validator for `schema`, compiled on its first sight (in this
   * generation), or the reason it cannot be; `tool` names it in that log line.
   */
  get(schema: object, tool: string): Check
  /** `schema`'s validator threw while checking (a pattern too large, an engine that fails): from now on it is uncompilable. */
  broken(schema: object, tool: string, error: unknown): string
}

/** Counted as the compiler goes: schemas compiled (or tried), and of those the ones that could not be. */
export interface CompileCounts {
  compiled: number
  uncompilable: number
}

export interface SchemaCompilerOptions {
  /** The most schemas compiled in one generation; the next starts afresh. */
  readonly maxSchemas: number
  readonly regExp: RegExpEngine | undefined
  readonly log: (line: string) => void
  /** Where it counts. */
  readonly counts: CompileCounts
}

// `$schema` without its scheme and fragment, lower-case → its dialect. Draft-06
// is checked as draft-07: every draft-06 keyword means the same there, and
// the keywords draft-07 adds are not in a draft-06 schema. Draft-04 and older
// differ in meaning (`exclusiveMaximum`, `id`), so they are not supported.
const DIALECTS: Readonly<Record<string, Dialect>> = {
  'json-schema.org/draft/2020-12/schema': '2020-12',
  'json-schema.org/draft/2019-09/schema': '2019-09',
  'json-schema.org/draft-07/schema': 'draft-07',
  'json-schema.org/draft-06/schema': 'draft-07',
}
const META: Readonly<Record<Dialect, string>> = {
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
  '2019-09': 'https://json-schema.org/draft/2019-09/schema',
  'draft-07': 'http://json-schema.org/draft-07/schema',
}

/**
 * The dialect a `$schema` names. Without one it is 2020-12: MCP 2025-11-25
 * §JSON Schema Usage (SEP-1613) makes that the default for embedded schemas,
 * and lets a schema name another with `$schema`.
 */
export function dialectOf($schema: unknown): Dialect | undefined {
  if ($schema === undefined) return '2020-12'
  if (typeof $schema !== 'string') return undefined
  return DIALECTS[
    $schema
      .replace(/^https?:\/\//i, '')
      .replace(/#$/, '')
      .toLowerCase()
  ]
}

// Checks only: nothing here changes the arguments (no coerceTypes, useDefaults
// or removeAdditional), reads `$data`, or loads a remote `$ref` (no loadSchema:
// a schema that needs one does not compile).
const BASE: AjvOptions = {
  // Upstream schemas carry keywords of their own (`x-…`, OpenAPI's): annotations, not errors.
  strict: false,
  // The first failure is enough to refuse, and stopping there is faster.
  allErrors: false,
  // `format` is an annotation in 2020-12 (its format-annotation vocabulary), and
  // checking formats would need ajv-formats; the upstream checks its own.
  validateFormats: false,
  // An upstream's `$id` claims no name in the shared instance, so that the next
  // version of the same schema (after list_changed) compiles too.
  addUsedSchema: false,
  // ajv's warnings would go to the console; what matters is logged here.
  logger: false,
}

/**
 * `regExp` as ajv calls it. ajv shares one compiled pattern among the schemas
 * of an instance by its `toString()`, so each gets one that names its pattern.
 */
function engineOf(regExp: RegExpEngine) {
  const engine = (pattern: string, flags: string) => {
    const rx = regExp(pattern, flags)
    const key = JSON.stringify([pattern, flags])
    return { test: (value: string) => rx.test(value), toString: () => key }
  }
  return Object.assign(engine, { code: 'regExp' })
}

function instance(dialect: Dialect, regExp: RegExpEngine | undefined) {
  const options: AjvOptions =
    regExp === undefined ? BASE : { ...BASE, code: { regExp: engineOf(regExp) } }
  if (dialect === '2020-12') return new Ajv2020(options)
  if (dialect === '2019-09') return new Ajv2019(options)
  return new Ajv(options)
}

/** `text`, at most `max` characters of it. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/**
 * Validators by schema object. A new catalog (the router lists tools again
 * after `notifications/tools/list_changed`) gives new definition objects,
 * each compiled on its first call. An ajv instance keeps every validator it
 * compiled (in its code scope) for as long as it lives, so the bound is a
 * generation: after `maxSchemas` compilations the memo and the ajv instances
 * are dropped and made anew. An upstream that lists ever new schemas then
 * holds at most `maxSchemas` validators, and costs at most one compilation
 * per call; a steady catalog is compiled once.
 */
export function schemaCompiler(options: SchemaCompilerOptions): SchemaCompiler {
  const { maxSchemas, regExp, log, counts } = options
  let memo = new WeakMap<object, Check>()
  let instances: Partial<Record<Dialect, Ajv | Ajv2019 | Ajv2020>> = {}
  let size = 0

  function compile(schema: Record<string, unknown>): Check {
    const declared = schema.$schema
    const dialect = dialectOf(declared)
    if (dialect === undefined) {
      return `unsupported $schema ${clip(JSON.stringify(declared) ?? String(declared), 120)} (supported: 2020-12, the default; 2019-09; draft-07; draft-06)`
    }
    // ajv finds the meta-schema by `$schema`: spelt otherwise (https for draft-07), a copy names it.
    const spelt = typeof declared === 'string' && declared.replace(/#$/, '') === META[dialect]
    const source = declared === undefined || spelt ? schema : { ...schema, $schema: META[dialect] }
    instances[dialect] ??= instance(dialect, regExp)
    try {
      const validate = instances[dialect].compile(source)
      // An `$async` schema's validator answers a promise: nothing here waits for one.
      return (validate as { $async?: unknown }).$async === true
        ? '$async schemas are not supported'
        : validate
    } catch (error) {
      return clip(error instanceof Error ? error.message : 'failed', 300)
    }
  }

  function refuse(schema: object, tool: string, reason: string): string {
    counts.uncompilable++
    log(
      `validateArguments(): the input schema of tool "${clip(tool, 128)}" cannot be compiled: ${reason}`,
    )
    memo.set(schema, reason)
    return reason
  }

  return {
    broken(schema, tool, error) {
      return refuse(schema, tool, clip(error instanceof Error ? error.message : 'failed', 300))
    },
    get(schema, tool) {
      const known = memo.get(schema)
      if (known !== undefined) return known
      if (size >= maxSchemas) {
        memo = new WeakMap()
        instances = {}
        size = 0
      }
      size++
      counts.compiled++
      const check = compile(schema as Record<string, unknown>)
      if (typeof check === 'string') return refuse(schema, tool, check)
      memo.set(schema, check)
      return check
    },
  }
}
