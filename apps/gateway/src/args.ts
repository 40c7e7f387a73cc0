import { parseArgs } from 'node:util'
import { NAME } from './config.js'
import type { ConfigFile, ServeConfig, UpstreamFile, UrlTransport } from './config-types.js'
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
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: OPTIONS,
  })
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

function serveFlags(values: Values): Partial<ServeConfig> {
  const serve: Partial<ServeConfig> = {}
  if (values.serve !== undefined) {
    if (!SERVE.includes(values.serve as FrontEnd)) {
      throw new UsageError(`--serve must be one of ${SERVE.join(', ')}, got ${values.serve}`)
    }
    serve.transport = values.serve as FrontEnd
  }
  if (values.port !== undefined) {
    const port = Number(values.port)
    if (values.port.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port must be 0-65535, got ${values.port}`)
    }
    serve.port = port
  }
  if (values.host !== undefined) serve.host = values.host
  if (values.path !== undefined) {
    if (!values.path.startsWith('/')) throw new UsageError('--path must start with /')
    serve.path = values.path
  }
  if (values['allowed-host'] !== undefined) serve.allowedHosts = values['allowed-host']
  return serve
}

/** The flag form as a config of one upstream, checked like any other config afterwards. */
function flagConfig(values: Values, command: string[]): ConfigFile {
  const name = values.name ?? 'upstream'
  if (!NAME.test(name)) throw new UsageError('--name must be 1-32 of A-Z a-z 0-9 _ . -')
  const timeout = Number(values.timeout ?? 60_000)
  if (!Number.isInteger(timeout) || timeout < 0) {
    throw new UsageError('--timeout must be a whole number of ms >= 0')
  }
  const mode = values.mode ?? 'per-session'
  if (mode !== 'shared' && mode !== 'per-session') {
    throw new UsageError(`--mode must be shared or per-session, got ${mode}`)
  }
  const common = { mode, timeout } as const
  return { upstreams: { [name]: { ...source(values, command), ...common } } }
}

function source(values: Values, command: string[]): UpstreamFile {
  if (values.example) return { example: 'math' }
  if (values.url === undefined) {
    const [executable, ...args] = command
    return { command: executable!, args, env: pairs(values.env), inheritEnv: values['inherit-env'] }
  }
  const transport = (values['upstream-transport'] ?? 'streamable-http') as UrlTransport
  if (!UPSTREAM.includes(transport)) {
    throw new UsageError(
      `--upstream-transport must be one of ${UPSTREAM.join(', ')}, got ${transport}`,
    )
  }
  try {
    new URL(values.url)
  } catch {
    throw new UsageError(`--url is not a URL: ${values.url}`)
  }
  return { url: values.url, transport, headers: headers(values.header) }
}

function pairs(list: readonly string[] = []): Record<string, string> {
  return Object.fromEntries(
    list.map((pair) => {
      const eq = pair.indexOf('=')
      if (eq < 1) throw new UsageError(`--env takes KEY=VALUE, got ${pair}`)
      return [pair.slice(0, eq), pair.slice(eq + 1)]
    }),
  )
}

function headers(list: readonly string[] = []): Record<string, string> {
  return Object.fromEntries(
    list.map((header) => {
      const colon = header.indexOf(':')
      if (colon < 1) throw new UsageError(`--header takes "Name: value", got ${header}`)
      return [header.slice(0, colon).trim(), header.slice(colon + 1).trim()]
    }),
  )
}
