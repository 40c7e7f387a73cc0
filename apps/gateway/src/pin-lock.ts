import { resolve } from 'node:path'
import type { OptionError } from '@mcpx/core'
import { type PinLock, readPinLock } from '@mcpx/transformers/node'
import type { Checked } from './config.js'
import type { GatewayConfig } from './config-types.js'

const PATH = 'transformers.pinTools.lockFile'
const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'not a file',
}

/**
 * The checked config with `transformers.pinTools.lockFile` read (through
 * `readPinLock`, so the lock is checked as `pinTools()` takes it), relative
 * to `dir`, the config file's directory. A lock that cannot be read, or is
 * not a lock, is a problem of the config naming the file: a gateway must not
 * start with pins it cannot use, nor silently trust every tool on first use.
 * Only `mcpx-gateway pins`, which writes the lock, passes `missing`: the lock
 * to use when the file does not exist yet.
 */
export async function withPinLock(
  config: GatewayConfig,
  dir: string,
  missing?: PinLock,
): Promise<Checked> {
  const pins = config.transformers?.pinTools
  if (pins?.lockFile === undefined) return { ok: true, config }
  const file = resolve(dir, pins.lockFile)
  try {
    const lock = await readPinLock(file).catch((error: NodeJS.ErrnoException) => {
      if (missing !== undefined && error.code === 'ENOENT') return missing
      throw error
    })
    const transformers = { ...config.transformers, pinTools: { ...pins, lock } }
    return { ok: true, config: { ...config, transformers } }
  } catch (error) {
    return { ok: false, problems: [`${PATH}: ${file}: ${whyNot(error, file)}`] }
  }
}

/** What is wrong with the lock file, as `readPinLock` says it (its path taken out: the line names it). */
function whyNot(error: unknown, file: string): string {
  const code = (error as NodeJS.ErrnoException).code
  if (typeof code === 'string') return READ_ERRORS[code] ?? `cannot be read (${code})`
  if (!(error instanceof TypeError)) throw error
  const { option, rule, known } = error as Partial<OptionError>
  if (typeof option === 'string' && rule !== undefined && option.startsWith(file)) {
    const where = option.slice(file.length + 1)
    if (known !== undefined) return `${where}: unknown key (the keys are ${known.join(', ')})`
    return where === '' ? `must be ${rule}` : `${where} must be ${rule}`
  }
  // Not JSON: the parser's own words are in the cause.
  const cause = (error.cause as Error | undefined)?.message
  return cause === undefined
    ? error.message.replace('[@mcpx/transformers] ', '')
    : `not valid JSON: ${cause}`
}
