import { parseArgs } from 'node:util'
import { type FaultOptions, validateFaults } from '../fault-controller.js'

export interface FaultyArgs {
  faults: FaultOptions
  /** Exit with code 1 before serving anything (a crash loop). */
  exitAtStartup: boolean
  /** HTTP only. */
  port: number
}

const USAGE = (kind: 'stdio' | 'http') => `usage: faulty-${kind} [options]
  --latency <ms|min-max>    delay before each call, e.g. 10 or 5-20
  --error-rate <0..1>       probability that a call fails
  --error-as <jsonrpc|result>  a JSON-RPC -32603 error (default) or an isError result
  --hang-after <n>          calls after the nth are never answered
  --crash-after <n>         exit(1) when the nth call arrives, before answering it
  --seed <n>                seeds the random draws
  --exit-at-startup         exit(1) at once, before initialize
  --faults '<json>'         FaultOptions as JSON; the flags above override its fields
${
  kind === 'http'
    ? `  --port <n>                on 127.0.0.1; 0 (default) picks a free one
  --http-error-rate <0..1>  probability that a tools/call POST gets HTTP 500`
    : `  --garbage-after <n>       write a non-JSON line to stdout when the nth call arrives`
}
The environment variable MCPX_FAULTS may hold the JSON instead of --faults.`

const NUMERIC = {
  'error-rate': 'errorRate',
  'http-error-rate': 'httpErrorRate',
  'hang-after': 'hangAfter',
  'crash-after': 'crashAfter',
  'garbage-after': 'garbageAfter',
  seed: 'seed',
} as const

/**
 * The faulty bins' flags. Bad arguments: a message and the usage on stderr, exit code 2.
 */
export function parseFaultyArgs(kind: 'stdio' | 'http', argv: string[]): FaultyArgs {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE(kind)}\n`)
    process.exit(0)
  }
  try {
    return parse(kind, argv)
  } catch (error) {
    process.stderr.write(`faulty-${kind}: ${(error as Error).message}\n${USAGE(kind)}\n`)
    process.exit(2)
  }
}

function parse(kind: 'stdio' | 'http', argv: string[]): FaultyArgs {
  const flag = { type: 'string' } as const
  const { values } = parseArgs({
    args: argv,
    options: {
      latency: flag,
      'error-as': flag,
      'error-rate': flag,
      'hang-after': flag,
      'crash-after': flag,
      seed: flag,
      faults: flag,
      'exit-at-startup': { type: 'boolean', default: false },
      ...(kind === 'http' ? { port: flag, 'http-error-rate': flag } : { 'garbage-after': flag }),
    },
  }) as { values: Record<string, string | boolean | undefined> }
  const json = (values.faults as string | undefined) ?? process.env.MCPX_FAULTS ?? '{}'
  let faults: Record<string, unknown>
  try {
    faults = JSON.parse(json)
  } catch (error) {
    throw new SyntaxError(`--faults is not JSON: ${(error as Error).message}`)
  }
  for (const [name, field] of Object.entries(NUMERIC)) {
    if (typeof values[name] === 'string') faults[field] = number(name, values[name])
  }
  if (typeof values['error-as'] === 'string') faults.errorAs = values['error-as']
  if (typeof values.latency === 'string') faults.latencyMs = latency(values.latency)
  const port = number('port', (values.port as string | undefined) ?? '0')
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`invalid --port: ${values.port}`)
  }
  return { faults: validateFaults(faults), exitAtStartup: values['exit-at-startup'] === true, port }
}

function number(name: string, value: string): number {
  const parsed = Number(value)
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new TypeError(`--${name} is not a number: ${value}`)
  }
  return parsed
}

function latency(value: string): number | [number, number] {
  const range = /^(\d+)-(\d+)$/.exec(value)
  return range ? [Number(range[1]), Number(range[2])] : number('latency', value)
}
