import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml'
import { at, pathOf } from './check.js'

/** A parsed config file with where each of its paths is written. */
export interface ParsedSource {
  /** The value, as `JSON.parse` (JSON) or YAML 1.2 (YAML) reads it. */
  value: unknown
  /** The line (1-based) of each path (`upstreams.math`) that is written in the file. */
  lines: ReadonlyMap<string, number>
}

/** What stops a file from being a config at all, with its line when there is one. */
export interface ParseProblem {
  message: string
  line: number | undefined
}

/**
 * Parse a config file with the `yaml` package's Document for positions: YAML
 * as YAML 1.2, JSON through the same parser (JSON is YAML 1.2) for its
 * positions only, its value from `JSON.parse`. A key written twice in one
 * map is a problem in both: `JSON.parse` would silently keep the last.
 */
export function parseSource(
  text: string,
  json: boolean,
): { ok: true; source: ParsedSource } | { ok: false; problems: ParseProblem[] } {
  const counter = new LineCounter()
  let value: unknown
  if (json) {
    try {
      value = JSON.parse(text)
    } catch (error) {
      const message = (error as Error).message
      // V8 says where, or that the input ended (then the fault is on its last line).
      const offset = /position (\d+)/.exec(message)?.[1]
      const upTo = offset === undefined ? text.trimEnd() : text.slice(0, Number(offset))
      const line = upTo.split('\n').length
      return { ok: false, problems: [{ message: `not valid JSON: ${message}`, line }] }
    }
  }
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: false })
  const lineAt = (offset: number) => counter.linePos(offset).line
  if (doc.errors.length > 0) {
    // JSON.parse took it: a YAML parser's limit, not the file's fault; place problems without lines.
    if (json) return { ok: true, source: { value, lines: new Map() } }
    const problems = doc.errors.map((error) => ({
      message: `not valid YAML: ${error.message}`,
      line: lineAt(error.pos[0]),
    }))
    return { ok: false, problems }
  }
  const lines = new Map<string, number>()
  const duplicates: ParseProblem[] = []
  index(doc.contents, '', lines, duplicates, lineAt)
  if (duplicates.length > 0) return { ok: false, problems: duplicates }
  if (!json) {
    try {
      value = doc.toJS({ maxAliasCount: 100 })
    } catch (error) {
      return { ok: false, problems: [{ message: (error as Error).message, line: undefined }] }
    }
  }
  return { ok: true, source: { value, lines } }
}

function index(
  node: Node | null,
  path: string,
  lines: Map<string, number>,
  duplicates: ParseProblem[],
  lineAt: (offset: number) => number,
): void {
  if (isMap(node)) {
    const seen = new Map<string, number>()
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode)
      const line = lineAt(keyNode?.range?.[0] ?? node.range?.[0] ?? 0)
      const child = at(path, key)
      const first = seen.get(key)
      if (first !== undefined) {
        duplicates.push({ message: `${child}: duplicate key (first on line ${first})`, line })
        continue
      }
      seen.set(key, line)
      lines.set(child, line)
      index(pair.value as Node | null, child, lines, duplicates, lineAt)
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const child = at(path, i)
      const range = (item as Node | null)?.range
      if (range) lines.set(child, lineAt(range[0]))
      index(item as Node | null, child, lines, duplicates, lineAt)
    })
  }
}

/**
 * The line of a problem's path, or of its nearest parent that is written (a
 * required key that is missing is placed on the map that lacks it).
 */
export function lineOf(problem: string, lines: ReadonlyMap<string, number>): number | undefined {
  const steps = pathOf(problem)
  if (steps === undefined) return undefined
  for (let n = steps.length; n > 0; n--) {
    const line = lines.get(steps.slice(0, n).reduce<string>((path, step) => at(path, step), ''))
    if (line !== undefined) return line
  }
  return 1
}

/** `problem (file:line)`, or `problem (file)` when it has no line. */
export function located(problem: string, file: string, line: number | undefined): string {
  return `${problem} (${line === undefined ? file : `${file}:${line}`})`
}
