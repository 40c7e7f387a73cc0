import { object, oneOf, type Problems } from './check.js'
import type { LogFormat, LoggingConfig, LogLevel } from './config-types.js'

// The `logging` section (issue 15 item 5): the format and level of the gateway's log (log.ts).
// The environment's MCPX_LOG_FORMAT and MCPX_LOG_LEVEL apply over it when the log is made, so
// that a deployment can change them without editing the file.

export const LOG_FORMATS = ['auto', 'json', 'text'] as const satisfies readonly LogFormat[]
/** pino's levels, most severe first. */
export const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
] as const satisfies readonly LogLevel[]

export const DEFAULT_LOGGING: LoggingConfig = { format: 'auto', level: 'info' }

const LOGGING = ['format', 'level'] as const

/** The `logging` section, every default filled in. */
export function checkLogging(value: unknown, problems: Problems): LoggingConfig {
  const file = object(value, 'logging', problems, LOGGING) ?? {}
  return {
    format: oneOf(file.format, 'logging.format', problems, LOG_FORMATS) ?? DEFAULT_LOGGING.format,
    level: oneOf(file.level, 'logging.level', problems, LOG_LEVELS) ?? DEFAULT_LOGGING.level,
  }
}
