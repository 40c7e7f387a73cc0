// A strict reader of the Prometheus text format 0.0.4, for the tests: it
// checks what promtool 2.42 lets through (a family split in two, a series
// twice, a histogram without +Inf or with _count unequal to it, unsorted or
// falling buckets, a negative counter, a missing final newline) and gives
// back the samples with their label values unescaped.

export interface ParsedSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface ParsedFamily {
  readonly name: string
  readonly type: string
  readonly help: string
  readonly samples: ParsedSample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'))
}

/** Reads `{a="x",b="y"}` from `line` at `at`; returns the labels and where they end. */
function readLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {}
  let at = start + 1
  while (line[at] !== '}') {
    const name = LABEL.exec(line.slice(at))?.[0]
    if (name === undefined) throw new Error(`bad label name at ${at}: ${line}`)
    if (Object.hasOwn(labels, name)) throw new Error(`label ${name} twice: ${line}`)
    at += name.length
    if (line[at] !== '=' || line[at + 1] !== '"') throw new Error(`expected =" at ${at}: ${line}`)
    at += 2
    let value = ''
    for (;;) {
      const c = line[at]
      if (c === undefined) throw new Error(`unterminated label value: ${line}`)
      if (c === '"') break
      if (c === '\\') {
        const e = line[at + 1]
        if (e === '\\') value += '\\'
        else if (e === '"') value += '"'
        else if (e === 'n') value += '\n'
        else throw new Error(`invalid escape \\${e}: ${line}`)
        at += 2
        continue
      }
      value += c
      at++
    }
    labels[name] = value
    at++
    if (line[at] === ',') at++
    else if (line[at] !== '}') throw new Error(`expected , or } at ${at}: ${line}`)
  }
  return { labels, end: at + 1 }
}

function familyOf(sample: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sample.endsWith(suffix)) {
      const base = sample.slice(0, -suffix.length)
      if (types.get(base) === 'histogram') return base
    }
  }
  return sample
}

/** The families of `text`, in order; throws at the first rule it breaks. */
export function parseExposition(text: string): ParsedFamily[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the last line has no newline')
  const families: ParsedFamily[] = []
  const byName = new Map<string, ParsedFamily>()
  const types = new Map<string, string>()
  const helps = new Map<string, string>()
  let current: ParsedFamily | undefined
  const series = new Set<string>()
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('# HELP ')) {
      const [name = '', ...rest] = line.slice(7).split(' ')
      if (helps.has(name)) throw new Error(`second HELP for ${name}`)
      helps.set(name, unescapeHelp(rest.join(' ')))
      continue
    }
    if (line.startsWith('# TYPE ')) {
      const [name = '', type = ''] = line.slice(7).split(' ')
      if (types.has(name)) throw new Error(`second TYPE for ${name}`)
      if (byName.has(name)) throw new Error(`TYPE after samples of ${name}`)
      types.set(name, type)
      current = { name, type, help: helps.get(name) ?? '', samples: [] }
      if (!helps.has(name)) throw new Error(`no HELP for ${name}`)
      families.push(current)
      byName.set(name, current)
      continue
    }
    if (line.startsWith('#') || line === '') throw new Error(`unexpected line: ${line}`)
    const name = NAME.exec(line)?.[0]
    if (name === undefined) throw new Error(`bad metric name: ${line}`)
    let at = name.length
    let labels: Record<string, string> = {}
    if (line[at] === '{') ({ labels, end: at } = readLabels(line, at))
    if (line[at] !== ' ') throw new Error(`expected a space before the value: ${line}`)
    const raw = line.slice(at + 1)
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)
    if (raw === '' || raw.includes(' ') || (Number.isNaN(value) && raw !== 'NaN')) {
      throw new Error(`bad value ${raw}: ${line}`)
    }
    const family = familyOf(name, types)
    if (current?.name !== family) {
      throw new Error(
        byName.has(family) ? `family ${family} in two blocks` : `sample before TYPE: ${line}`,
      )
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (series.has(key)) throw new Error(`series twice: ${line}`)
    series.add(key)
    if (current.type === 'counter' && !(value >= 0)) throw new Error(`negative counter: ${line}`)
    current.samples.push({ name, labels, value })
  }
  for (const family of families) if (family.type === 'histogram') checkHistogram(family)
  return families
}

function checkHistogram(family: ParsedFamily): void {
  const groups = new Map<string, ParsedSample[]>()
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    if (sample.name.endsWith('_bucket') && le === undefined) {
      throw new Error(`${family.name}: a bucket without le`)
    }
    const group = groups.get(key) ?? []
    groups.set(key, group)
    group.push(sample)
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`)
    const bounds = buckets.map((s) => (s.labels.le === '+Inf' ? Infinity : Number(s.labels.le)))
    for (let i = 1; i < buckets.length; i++) {
      if (!((bounds[i] as number) > (bounds[i - 1] as number))) {
        throw new Error(`${family.name}${key}: le not increasing`)
      }
      if ((buckets[i]?.value as number) < (buckets[i - 1]?.value as number)) {
        throw new Error(`${family.name}${key}: buckets not cumulative`)
      }
    }
    if (bounds[bounds.length - 1] !== Infinity) throw new Error(`${family.name}${key}: no +Inf`)
    const count = samples.find((s) => s.name === `${family.name}_count`)
    const sum = samples.find((s) => s.name === `${family.name}_sum`)
    if (count === undefined || sum === undefined)
      throw new Error(`${family.name}${key}: no _count or _sum`)
    if (count.value !== buckets[buckets.length - 1]?.value) {
      throw new Error(`${family.name}${key}: _count is not the +Inf bucket`)
    }
  }
}

/** The number of sample lines (time series) in `families`. */
export function seriesCount(families: readonly ParsedFamily[]): { samples: number } {
  return { samples: families.reduce((n, family) => n + family.samples.length, 0) }
}

/** The label sets of family `name`, its `le` and `outcome` labels aside (one histogram or one cell each). */
export function labelSets(families: readonly ParsedFamily[], name: string): number {
  const sets = new Set<string>()
  for (const s of families.find((f) => f.name === name)?.samples ?? []) {
    const { le: _le, outcome: _outcome, ...rest } = s.labels
    sets.add(JSON.stringify(Object.entries(rest).sort()))
  }
  return sets.size
}
