import { parseArgs } from 'node:util'
import type { ServerRequestMode } from '../conformance-context.js'

export interface FixtureArgs {
  port: number
  serverRequests: ServerRequestMode
  resumable: boolean
}

const USAGE = `options:
  --port <n>                HTTP only; 0 picks a free port (default 0)
  --server-requests <mode>  'related' (default) or 'standalone': how sampling, elicitation
                            and roots requests are sent (see ServerRequestMode)
  --no-resumable            HTTP only; no event store and no SSE retry field`

export function parseFixtureArgs(argv: string[]): FixtureArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      'server-requests': { type: 'string', default: 'related' },
      'no-resumable': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port: ${values.port}`)
  const mode = values['server-requests']
  if (mode !== 'related' && mode !== 'standalone') fail(`invalid --server-requests: ${mode}`)
  return { port, serverRequests: mode, resumable: !values['no-resumable'] }
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`)
  process.exit(2)
}
