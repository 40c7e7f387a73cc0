import { type AccessLogEntry, type AccessLogger, accessLine } from '@mcpx/metrics'
import pino, { type Logger } from 'pino'
import { DEFAULT_LOGGING, LOG_FORMATS, LOG_LEVELS } from './config-logging.js'
import type { LogFormat, LoggingConfig, LogLevel } from './config-types.js'

// Issue 15 item 5: the gateway's log, as text lines (a person at a terminal) or as pino JSON
// entries (a collector reading a pipe). Every part of the gateway logs lines with a prefix
// (`[mcpx router] …`, `[mcpx upstream math] …`, `mcpx-gateway: …`); in JSON each line becomes
// one entry, the prefix becoming its `component`. Text output is the lines as they always were.

/** The gateway's log: a function of one line, plus the access log's structured entries. */
export interface GatewayLog {
  (line: string): void
  /** For `accessLog()`: entries as JSON properties (JSON), or `accessLine()` lines (text). */
  readonly access: AccessLogger
  /**
   * Apply the config's `logging` section, `MCPX_LOG_FORMAT` and `MCPX_LOG_LEVEL` over it.
   * Until then the log is text at `info`, as before any config (`pins`' diagnostics).
   */
  configure(logging: LoggingConfig | undefined, env?: NodeJS.ProcessEnv): void
}

/** Levels the gateway's own lines get, by what they say (see {@link levelOf}). */
type LineLevel = 'error' | 'warn' | 'info'

/** What a line's prefix says: the component, and the upstream (replica) it is about. */
interface Origin {
  component: string
  upstream?: string
}

/** Known prefixes, each stripped from `msg` (a lookahead keeps what belongs to the sentence). */
const PREFIXES: [RegExp, (match: RegExpExecArray) => Origin][] = [
  [/^\[mcpx (upstream|pool) ([^\]\s]+)\] /, (m) => ({ component: m[1]!, upstream: m[2]! })],
  [/^\[mcpx ([a-z-]+)\] /, (m) => ({ component: m[1]! })],
  // The router's onError: an unexpected error while a message was handled, with its stack.
  [/^\[mcpx\] /, () => ({ component: 'router' })],
  [/^mcpx-gateway: /, () => ({ component: 'gateway' })],
  // The response cache: its own lines (`cache "name": …`) and its Redis client's (`cache redis: …`).
  [/^cache (?=redis: )|^(?=cache ")/, () => ({ component: 'cache' })],
]

/** Something went wrong, or is not as it should be: `warn`. */
const WARN =
  /\b(fail(?:ed|s|ure)?|missing|could not|cannot|can't|not ready|refused|threw|dropped|invalid|timed out|did not|exposed by|auth is off)\b/i

/** A line's origin and its text without the prefix; unknown prefixes are the gateway's own. */
export function parseLine(line: string): Origin & { msg: string } {
  for (const [pattern, origin] of PREFIXES) {
    const match = pattern.exec(line)
    if (match) return { ...origin(match), msg: line.slice(match[0].length) }
  }
  return { component: 'gateway', msg: line }
}

/**
 * A line's level: `error` for the router's unexpected errors, `warn` for a
 * line saying a failure, something missing, refused, dropped or not possible
 * (and "auth is off"), `info` for the rest.
 */
export function levelOf(line: string): LineLevel {
  if (line.startsWith('[mcpx] ')) return 'error'
  return WARN.test(parseLine(line).msg) ? 'warn' : 'info'
}

/** `MCPX_LOG_FORMAT` and `MCPX_LOG_LEVEL` over the file's section; a bad value is ignored, and said. */
export function resolveLogging(
  logging: LoggingConfig | undefined,
  env: NodeJS.ProcessEnv,
): { logging: LoggingConfig; problems: string[] } {
  const resolved = { ...(logging ?? DEFAULT_LOGGING) }
  const problems: string[] = []
  const format = env.MCPX_LOG_FORMAT
  if (format !== undefined && format !== '') {
    if ((LOG_FORMATS as readonly string[]).includes(format)) resolved.format = format as LogFormat
    else problems.push(badEnv('MCPX_LOG_FORMAT', format, LOG_FORMATS, resolved.format))
  }
  const level = env.MCPX_LOG_LEVEL
  if (level !== undefined && level !== '') {
    if ((LOG_LEVELS as readonly string[]).includes(level)) resolved.level = level as LogLevel
    else problems.push(badEnv('MCPX_LOG_LEVEL', level, LOG_LEVELS, resolved.level))
  }
  return { logging: resolved, problems }
}

function badEnv(name: string, value: string, choices: readonly string[], kept: string): string {
  const list = choices.map((choice) => `'${choice}'`).join(', ')
  return `mcpx-gateway: ${name} is invalid (${JSON.stringify(value.slice(0, 40))}; one of ${list}): ignored, ${kept} is used`
}

const RANK: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
}

/** How lines and access entries are written under one resolved config. */
interface Sink {
  line(line: string): void
  entry(level: LineLevel, entry: AccessLogEntry): void
}

function textSink(threshold: number): Sink {
  // Byte for byte the lines of old: many tests and scripts read them.
  const write = (text: string) => void process.stderr.write(`${text}\n`)
  return {
    line(line) {
      if (RANK[levelOf(line)] >= threshold) write(line)
    },
    entry(level, entry) {
      if (RANK[level] >= threshold) write(accessLine(entry))
    },
  }
}

function jsonSink(level: LogLevel): Sink {
  // Synchronous writes to fd 2: nothing is lost when the process exits right after a line.
  const logger: Logger = pino(
    { name: 'mcpx-gateway', level },
    pino.destination({ dest: 2, sync: true }),
  )
  return {
    line(line) {
      const { msg, ...origin } = parseLine(line)
      logger[levelOf(line)](origin, msg)
    },
    entry(at, entry) {
      // pino writes its own `time` (when logged); the entry's is when the message arrived.
      const { time, ...fields } = entry
      logger[at](
        { component: 'access', ...fields, receivedAt: time },
        `${entry.method} ${entry.outcome}`,
      )
    },
  }
}

/** Whether `logging` means JSON, `stderrIsTTY` deciding `auto`. */
export function isJson(logging: LoggingConfig, stderrIsTTY: boolean): boolean {
  return logging.format === 'json' || (logging.format === 'auto' && !stderrIsTTY)
}

function sinkOf(logging: LoggingConfig, stderrIsTTY: boolean): Sink {
  return isJson(logging, stderrIsTTY) ? jsonSink(logging.level) : textSink(RANK[logging.level])
}

/**
 * The gateway's log, text at `info` until {@link GatewayLog.configure} is
 * told the config's `logging` section.
 *
 * @example
 * ```ts
 * const log = createLog()
 * log.configure({ format: 'auto', level: 'info' })
 * log('[mcpx upstream math] open failed: spawn ENOENT') // {"level":40,…,"component":"upstream","upstream":"math","msg":"open failed: spawn ENOENT"}
 * ```
 */
export function createLog(): GatewayLog {
  let sink = textSink(RANK.info)
  const log = ((line: string) => sink.line(line)) as GatewayLog
  const access: AccessLogger = {
    info: (entry) => sink.entry('info', entry),
    warn: (entry) => sink.entry('warn', entry),
    error: (entry) => sink.entry('error', entry),
  }
  Object.defineProperty(log, 'access', { value: access })
  log.configure = (logging, env = process.env) => {
    const resolved = resolveLogging(logging, env)
    sink = sinkOf(resolved.logging, process.stderr.isTTY === true)
    for (const problem of resolved.problems) sink.line(problem)
  }
  return log
}

/**
 * Where `accessLog()` sends its entries on `log`: the structured access of a
 * {@link GatewayLog}, else one `accessLine()` per entry.
 */
export function accessLoggerOf(
  log: (line: string) => void,
): AccessLogger | ((entry: AccessLogEntry) => void) {
  return (log as Partial<GatewayLog>).access ?? ((entry) => log(accessLine(entry)))
}
