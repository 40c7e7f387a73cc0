import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { NAME } from './config.js'
import type { ConfigFile, ServeConfig, UpstreamFile, UrlTransport } from './config-types.js'
import { HEALTH_PATH, READY_PATH } from './health.js'
import type { FrontEnd } from './serve.js'

/** A command line the gateway cannot run; exit code 2. */
export class UsageError extends Error {}

/** What the command line asks for. */
export type Invocation =
  | { help: true }
  | { command: 'validate'; file: string }
  | { command: 'print-config'; file: string | undefined }
  | {
      help: false
      /** `--config <file>`, else undefined. */
      configFile: string | undefined
      /** The upstream the flags describe, else undefined (the file's, or the default config). */
      flags: ConfigFile | undefined
      /** Front-end flags; they override the file's `serve`. */
      serve: Partial<ServeConfig>
    }

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** RFC 9110 §5.1 field names. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const SERVE: readonly FrontEnd[] = ['http', 'sse', 'websocket', 'stdio']
const UPSTREAM: readonly UrlTransport[] = ['streamable-http', 'sse', 'websocket']
/** Flags that describe the one upstream of the flag form, refused beside `--config`. */
const UPSTREAM_FLAGS = [
  'url',
  'example',
  'upstream-transport',
  'mode',
  'name',
  'timeout',
  'connect-timeout',
  'env',
  'inherit-env',
  'header',
] as const

const OPTIONS = {
  config: { type: 'string' },
  serve: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  path: { type: 'string' },
  'allowed-host': { type: 'string', multiple: true },
  url: { type: 'string' },
  'upstream-transport': { type: 'string' },
  example: { type: 'boolean' },
  mode: { type: 'string' },
  name: { type: 'string' },
  timeout: { type: 'string' },
  'connect-timeout': { type: 'string' },
  env: { type: 'string', multiple: true },
  'inherit-env': { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values']

/** Parse the command line; throws {@link UsageError}. No default is applied here but the flag form's. */
export function parseCommandLine(argv: string[]): Invocation {
  const subcommand = subcommandOf(argv)
  if (subcommand !== undefined) return subcommand
  const { values, positionals } = parse(argv)
  if (values.help) return { help: true }
  const serve = serveFlags(values)
  const given = UPSTREAM_FLAGS.filter((flag) => values[flag] !== undefined).map((f) => `--${f}`)
  if (positionals.length > 0) given.push('-- <command>')
  if (values.config !== undefined) {
    if (given.length > 0) {
      throw new UsageError(
        `--config cannot be combined with upstream options (${given.join(', ')})`,
      )
    }
    return { help: false, configFile: values.config, flags: undefined, serve }
  }
  const sources = [positionals.length > 0, values.url !== undefined, values.example === true]
  const count = sources.filter(Boolean).length
  if (count > 1) {
    throw new UsageError('give one upstream: -- <command> [args...], --url <url> or --example')
  }
  if (count === 0) {
    if (given.length > 0) {
      throw new UsageError(
        `${given.join(', ')} ${given.length === 1 ? 'needs' : 'need'} an upstream: -- <command> [args...], --url <url> or --example`,
      )
    }
    return { help: false, configFile: undefined, flags: undefined, serve }
  }
  return { help: false, configFile: undefined, flags: flagConfig(values, positionals), serve }
}

/** `validate FILE` and `print-config [FILE]`, which take nothing else (a flag would be ignored). */
function subcommandOf(argv: string[]): Invocation | undefined {
  const [command, ...rest] = argv
  if (command !== 'validate' && command !== 'print-config') return undefined
  if (rest.includes('-h') || rest.includes('--help')) return { help: true }
  const files = rest[0] === '--' ? rest.slice(1) : rest
  const flag = rest[0] === '--' ? undefined : files.find((arg) => arg.startsWith('-'))
  if (flag !== undefined) throw new UsageError(`${command} takes no options, got ${flag}`)
  if (command === 'validate' && files.length !== 1) {
    throw new UsageError('validate takes one config file: mcpx-gateway validate <file>')
  }
  if (files.length > 1) {
    throw new UsageError(
      'print-config takes at most one config file: mcpx-gateway print-config [file]',
    )
  }
  return command === 'validate' ? { command, file: files[0]! } : { command, file: files[0] }
}

/** `parseArgs`, its errors said in our words: its own advice on quoting is wrong after `--`. */
function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS })
  } catch (error) {
    const { code, message } = error as { code?: string; message: string }
    const option = /'(-[^' ]*)/.exec(message)?.[1] ?? ''
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option}`)
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const long = /--[a-z-]+/.exec(message)?.[0] ?? option
      throw new UsageError(
        OPTIONS[long.slice(2) as keyof typeof OPTIONS]?.type === 'boolean'
          ? `${long} takes no value`
          : `${long} needs a value`,
      )
    }
    throw new UsageError(message)
  }
}

/** A whole number in decimal digits only: `Number()` would take '', `4.5e4` and `0x9c41`. */
function whole(flag: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN
  if (!(value <= max)) {
    const range = max === 65535 ? '0-65535' : 'a whole number of ms'
    throw new UsageError(`${flag} must be ${range} in decimal digits, got ${JSON.stringify(text)}`)
  }
  return value
}

function serveFlags(values: Values): Partial<ServeConfig> {
  const serve: Partial<ServeConfig> = {}
  if (values.serve !== undefined) {
    if (!SERVE.includes(values.serve as FrontEnd)) {
      throw new UsageError(`--serve must be one of ${SERVE.join(', ')}, got ${values.serve}`)
    }
    serve.transport = values.serve as FrontEnd
  }
  if (values.port !== undefined) {
    serve.port = whole('--port', values.port, 65535)
  }
  if (values.host !== undefined) serve.host = values.host
  if (values.path !== undefined) {
    if (!/^\/[^?#\s]*$/.test(values.path)) {
      throw new UsageError(
        `--path must start with / (and hold no ?, # or space), got ${JSON.stringify(values.path)}`,
      )
    }
    if (values.path === HEALTH_PATH || values.path === READY_PATH) {
      throw new UsageError(`--path ${values.path} is the gateway's health endpoint: choose another`)
    }
    serve.path = values.path
  }
  if (values['allowed-host'] !== undefined) serve.allowedHosts = values['allowed-host']
  return serve
}

/** The flag form as a config of one upstream, checked like any other config afterwards. */
function flagConfig(values: Values, command: string[]): ConfigFile {
  const name = values.name ?? defaultName(values, command)
  if (!NAME.test(name)) throw new UsageError('--name must be 1-32 of A-Z a-z 0-9 _ . -')
  const timeout = values.timeout === undefined ? 60_000 : whole('--timeout', values.timeout)
  const connect = values['connect-timeout']
  const connectTimeout = connect === undefined ? undefined : whole('--connect-timeout', connect)
  if (connectTimeout === 0) throw new UsageError('--connect-timeout must be > 0 ms')
  const mode = values.mode ?? 'per-session'
  if (mode !== 'shared' && mode !== 'per-session') {
    throw new UsageError(`--mode must be shared or per-session, got ${mode}`)
  }
  const common = {
    mode: mode as 'shared' | 'per-session',
    timeout,
    ...(connectTimeout !== undefined && { connectTimeout }),
  }
  return { upstreams: { [name]: { ...source(values, command), ...common } } }
}

/**
 * The flag form's upstream is named after what it runs (the command's
 * basename, the URL's host, the example), so that its log lines read
 * `[mcpx upstream my-server]`, not `[mcpx upstream upstream]`.
 */
function defaultName(values: Values, command: string[]): string {
  let from = 'upstream'
  if (values.example) from = 'math'
  else if (values.url !== undefined)
    from = URL.canParse(values.url) ? new URL(values.url).hostname : ''
  else if (command[0]) from = basename(command[0])
  const name = from
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
  return NAME.test(name) ? name : 'upstream'
}

function source(values: Values, command: string[]): UpstreamFile {
  if (values.example) return { example: 'math' }
  if (values.url === undefined) {
    const [executable, ...args] = command
    if (!executable) throw new UsageError('-- needs a command after it')
    const inheritEnv = values['inherit-env'] ?? []
    for (const variable of inheritEnv) {
      if (!ENV_NAME.test(variable)) {
        throw new UsageError(`--inherit-env takes a variable name, got ${JSON.stringify(variable)}`)
      }
    }
    return { command: executable, args, env: pairs(values.env), inheritEnv }
  }
  const transport = (values['upstream-transport'] ?? 'streamable-http') as UrlTransport
  if (!UPSTREAM.includes(transport)) {
    throw new UsageError(
      `--upstream-transport must be one of ${UPSTREAM.join(', ')}, got ${transport}`,
    )
  }
  if (!URL.canParse(values.url)) throw new UsageError(`--url is not a URL: ${values.url}`)
  // Only the scheme is shown: the URL may carry credentials.
  const scheme = new URL(values.url).protocol
  const schemes = transport === 'websocket' ? ['ws:', 'wss:'] : ['http:', 'https:']
  if (!schemes.includes(scheme)) {
    const allowed = schemes.map((s) => `${s}//`).join(' or ')
    const hint =
      scheme === 'ws:' || scheme === 'wss:'
        ? ' (for a WebSocket upstream add --upstream-transport websocket)'
        : ''
    throw new UsageError(
      `--url must be ${allowed} for --upstream-transport ${transport}, got ${scheme}//…${hint}`,
    )
  }
  return { url: values.url, transport, headers: headers(values.header) }
}

function pairs(list: readonly string[] = []): Record<string, string> {
  return Object.fromEntries(
    list.map((pair) => {
      const eq = pair.indexOf('=')
      if (eq < 1 || !ENV_NAME.test(pair.slice(0, eq))) {
        throw new UsageError(`--env takes NAME=VALUE (NAME a variable name), got ${pair}`)
      }
      return [pair.slice(0, eq), pair.slice(eq + 1)]
    }),
  )
}

function headers(list: readonly string[] = []): Record<string, string> {
  return Object.fromEntries(
    list.map((header) => {
      const colon = header.indexOf(':')
      if (colon < 1 || !HEADER_NAME.test(header.slice(0, colon).trim())) {
        throw new UsageError(
          `--header takes "Name: value" (Name an HTTP header name), got ${header}`,
        )
      }
      return [header.slice(0, colon).trim(), header.slice(colon + 1).trim()]
    }),
  )
}
