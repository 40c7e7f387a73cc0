import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { lineOf, located, parseSource } from './config-lines.js'
import { type Environment, interpolate } from './interpolate.js'

/** A config file that could not be read or parsed; its message says where. */
export class ConfigFileError extends Error {
  /** Each problem on its own, placed as `… (file:line)` when it has a line. */
  readonly problems: readonly string[]

  constructor(message: string, problems?: readonly string[]) {
    super(message)
    this.problems = problems ?? [message]
  }
}

/** A config file read: its value, and how to place a problem with its path in it. */
export interface ConfigSource {
  file: string
  value: unknown
  /** `problem (file:line)`: the line of the problem's JSON path, or of its nearest written parent. */
  locate(problem: string): string
}

/** Far above any real config; refuses a wrong path (a log, a binary) before reading it whole. */
const MAX_BYTES = 1024 * 1024
const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  ENOTDIR: 'no such file',
}

/**
 * Read a config file and parse it by its extension: `.json` as JSON,
 * `.yaml` or `.yml` as YAML 1.2 (duplicate keys refused, at most 100 alias
 * expansions), then replace `${NAME}` and `${NAME:-default}` in its string
 * values from `env` (see `interpolate`). The value is untrusted: check it
 * with `checkConfig`.
 */
export async function loadConfigFile(
  file: string,
  env: Environment = process.env,
): Promise<unknown> {
  return (await readConfigSource(file, env)).value
}

/** {@link loadConfigFile}, with the lines of the file kept to place later problems. */
export async function readConfigSource(
  file: string,
  env: Environment = process.env,
): Promise<ConfigSource> {
  const kind = extname(file).toLowerCase()
  if (kind !== '.json' && kind !== '.yaml' && kind !== '.yml') {
    throw new ConfigFileError(`${file}: a config file must end in .json, .yaml or .yml`)
  }
  let text: string
  try {
    const info = await stat(file)
    if (!info.isFile()) throw new ConfigFileError(`${file}: not a file`)
    if (info.size > MAX_BYTES) throw new ConfigFileError(`${file}: larger than 1 MiB`)
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof ConfigFileError) throw error
    const code = (error as NodeJS.ErrnoException).code ?? ''
    throw new ConfigFileError(`${file}: ${READ_ERRORS[code] ?? `cannot be read (${code})`}`)
  }
  const parsed = parseSource(text, kind === '.json')
  if (!parsed.ok) {
    const problems = parsed.problems.map(({ message, line }) => located(message, file, line))
    throw refusal(file, problems)
  }
  const { lines } = parsed.source
  const locate = (problem: string) => located(problem, file, lineOf(problem, lines))
  const interpolated = interpolate(parsed.source.value, env)
  if (!interpolated.ok) throw refusal(file, interpolated.problems.map(locate))
  return { file, value: interpolated.value, locate }
}

function refusal(file: string, problems: readonly string[]): ConfigFileError {
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`
  return new ConfigFileError(`${file}: ${count}\n  ${problems.join('\n  ')}`, problems)
}
