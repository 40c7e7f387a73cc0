import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { parseDocument } from 'yaml'
import { type Environment, interpolate } from './interpolate.js'

/** A config file that could not be read or parsed; its message says where. */
export class ConfigFileError extends Error {}

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
  const parsed = kind === '.json' ? parseJson(file, text) : parseYaml(file, text)
  const interpolated = interpolate(parsed, env)
  if (interpolated.ok) return interpolated.value
  const { problems } = interpolated
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`
  throw new ConfigFileError(`${file}: ${count}\n  ${problems.join('\n  ')}`)
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ConfigFileError(`${file}: not valid JSON: ${(error as Error).message}`)
  }
}

function parseYaml(file: string, text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((error) => error.message.split('\n')[0])
    throw new ConfigFileError(`${file}: not valid YAML:\n  ${lines.join('\n  ')}`)
  }
  try {
    return doc.toJS({ maxAliasCount: 100 })
  } catch (error) {
    throw new ConfigFileError(`${file}: ${(error as Error).message}`)
  }
}
