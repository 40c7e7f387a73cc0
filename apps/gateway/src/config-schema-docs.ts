// docs/configuration.md, rendered from the config's JSON Schema (config-schema.ts) by
// scripts/gen-config-docs.mjs; test/config-docs.test.ts fails when the committed copy is stale.

type Json = Record<string, unknown>

/** The command that writes config.schema.json and docs/configuration.md again. */
export const REGENERATE = 'pnpm --filter @mcpx/gateway gen:config'

/** Nested objects deeper than this are left to their row's type. */
const MAX_DEPTH = 6

/** The reference page: one section per top-level key, a table of fields, nested objects below. */
export function renderConfigDocs(schema: Json): string {
  const out: string[] = [
    `<!-- Generated from apps/gateway/src/config-schema*.ts: do not edit. Regenerate with \`${REGENERATE}\`. -->`,
    '',
    '# Gateway configuration reference',
    '',
    `${sentence(schema.description)} Every key below is also in [\`config.schema.json\`](../apps/gateway/config.schema.json), for editor completion; see the gateway's [README](../apps/gateway/README.md#config-file) for examples. Defaults are those the gateway or the package applies when a key is absent.`,
    '',
    table(schema),
  ]
  for (const [key, field] of Object.entries(properties(schema))) {
    out.push('', `## \`${key}\``, '')
    if (typeof field.description === 'string') out.push(sentence(field.description), '')
    sections(field, key, 2, out)
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`
}

/** The objects `schema` holds (itself, its branches, its items and values), each with its table. */
function sections(
  schema: Json,
  path: string,
  level: number,
  out: string[],
  seen = new Set<string>(),
): void {
  if (level > MAX_DEPTH) return
  for (const { path: where, label, object } of objectsOf(schema, path)) {
    // One table per place: the keys every kind of upstream shares are described once.
    if (seen.has(label)) continue
    seen.add(label)
    if (level > 2 || label !== path) {
      out.push('', `${'#'.repeat(Math.min(Math.max(level, 3), 6))} \`${label}\``, '')
      if (typeof object.description === 'string') out.push(sentence(object.description), '')
    }
    out.push(table(object))
    for (const [key, field] of Object.entries(properties(object))) {
      sections(field, `${where}.${key}`, level + 1, out, seen)
    }
  }
}

interface Place {
  /** Where it sits in the document. */
  path: string
  /** Its heading: the path, and which form it is when the value has several. */
  label: string
  object: Json
}

/** The objects with properties in `schema`, named by where they sit in the document. */
function objectsOf(schema: Json, path: string): Place[] {
  if (Array.isArray(schema.anyOf)) {
    const shapes = new Set<string>()
    // One object or a list of them (`auth.jwt`): the object once, under its own path.
    const branches = (schema.anyOf as Json[])
      .flatMap((branch) => objectsOf(branch, path))
      .filter(({ object }) => {
        const shape = JSON.stringify(object)
        return shapes.has(shape) ? false : Boolean(shapes.add(shape))
      })
    // Forms of one value (three kinds of upstream) are told apart by the key each requires.
    return branches.map((place, i, all) =>
      all.filter((other) => other.path === place.path).length > 1
        ? { ...place, label: `${place.label} (${kindOf(place.object, i)})` }
        : place,
    )
  }
  if (schema.type === 'array' && isObject(schema.items)) return objectsOf(schema.items, `${path}[]`)
  if (schema.type !== 'object') return []
  if (Object.keys(properties(schema)).length > 0) return [{ path, label: path, object: schema }]
  if (isObject(schema.additionalProperties)) {
    return objectsOf(schema.additionalProperties, `${path}.<name>`)
  }
  return []
}

/** A form's name: its `kind`, else the key it requires, else its description. */
const kindOf = (object: Json, i: number): string => {
  const kind = properties(object).kind?.const
  if (typeof kind === 'string') return kind
  const required = (object.required ?? []) as string[]
  if (required[0] !== undefined) return required[0]
  if (typeof object.description !== 'string') return `form ${i + 1}`
  return object.description.replace(/\s*\(.*\)$/, '').toLowerCase()
}

function table(object: Json): string {
  const required = new Set((object.required ?? []) as string[])
  const rows = Object.entries(properties(object)).map(([key, field]) => {
    const name = required.has(key) ? `\`${key}\` (required)` : `\`${key}\``
    const fallback = 'default' in field ? code(JSON.stringify(field.default)) : ''
    // The key column says required already.
    const about = String(field.description ?? '').replace(/ \(required\)$/, '')
    return `| ${name} | ${cell(typeOf(field))} | ${fallback} | ${cell(about)} |`
  })
  return ['| key | type | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

/** A field's type in words: `integer 0–65535`, `'http' | 'sse'`, `string[]`. */
export function typeOf(schema: Json): string {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map(typeOf).join(' | ')
  if ('const' in schema) return code(JSON.stringify(schema.const))
  if (Array.isArray(schema.enum)) {
    return schema.enum.map((value) => code(JSON.stringify(value))).join(' | ')
  }
  switch (schema.type) {
    case 'string':
      return stringRule(schema)
    case 'number':
    case 'integer':
      return `${schema.type}${range(schema)}`
    case 'array': {
      const item = isObject(schema.items) ? typeOf(schema.items) : 'any'
      const list = item.includes(' ') ? `array of ${item}` : `${item}[]`
      const sized = schema.maxItems !== undefined
      if (schema.minItems === 1 && !sized) return `${list}, non-empty`
      if (sized) return `${list}, ${schema.minItems ?? 0} to ${schema.maxItems} items`
      return list
    }
    case 'object': {
      if (Object.keys(properties(schema)).length > 0) return 'object'
      if (!isObject(schema.additionalProperties)) return 'object'
      const keys = isObject(schema.propertyNames) ? typeOf(schema.propertyNames) : 'string'
      return `object of ${keys} → ${typeOf(schema.additionalProperties)}`
    }
    case 'boolean':
      return 'boolean'
    default:
      return 'any'
  }
}

function stringRule(schema: Json): string {
  if (typeof schema.pattern === 'string') return `string matching ${code(schema.pattern)}`
  if (typeof schema.minLength === 'number' && schema.minLength > 1) {
    return `string of at least ${schema.minLength} characters`
  }
  return schema.minLength === 1 ? 'non-empty string' : 'string'
}

function range(schema: Json): string {
  const min = schema.minimum as number | undefined
  // A safe integer's bound says nothing to a reader.
  const max =
    schema.maximum === Number.MAX_SAFE_INTEGER ? undefined : (schema.maximum as number | undefined)
  if (typeof schema.exclusiveMinimum === 'number') {
    return max === undefined
      ? ` > ${schema.exclusiveMinimum}`
      : ` in (${schema.exclusiveMinimum}, ${max}]`
  }
  if (min !== undefined && max !== undefined) return ` ${min}–${max}`
  if (min !== undefined) return ` ≥ ${min}`
  if (max !== undefined) return ` ≤ ${max}`
  return ''
}

const properties = (schema: Json): Record<string, Json> =>
  (isObject(schema.properties) ? schema.properties : {}) as Record<string, Json>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Inline code whatever it holds (a backtick in it widens the fence). */
const code = (text: string): string => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``)

/** A table cell: pipes escaped, one line. */
const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

const sentence = (text: unknown): string => {
  const s = typeof text === 'string' ? text : ''
  if (s === '') return s
  const capital = s[0]!.toUpperCase() + s.slice(1)
  return /[.!?]$/.test(capital) ? capital : `${capital}.`
}
