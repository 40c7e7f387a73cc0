import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createProxy } from '@mcpx/core'
import { forward, type UpstreamMode, upstream } from '@mcpx/transports'
import { serveStdio, stdio } from '@mcpx/transports/stdio'
import { type FrontEnd, serve } from './serve.js'

const HELP = `mcpx-gateway: serve one upstream MCP server through an mcpx proxy

Usage:
  mcpx-gateway [options] -- <command> [args...]   upstream over stdio (a child process)
  mcpx-gateway [options] --url <url>              upstream over HTTP (see --upstream-transport)
  mcpx-gateway [options] --example                the bundled example upstream

Options:
  --serve <http|sse|websocket|stdio>
                                front end for clients (default: http): Streamable HTTP at
                                --path, legacy HTTP+SSE at /sse and /messages, WebSocket at
                                --path, or stdio
  --upstream-transport <streamable-http|sse|websocket>
                                how to reach a --url upstream (default: streamable-http)
  --host <address>              address to bind (default: 127.0.0.1)
  --port <n>                    port (default: 3000; 0 picks a free one)
  --path <path>                 endpoint path (default: /mcp)
  --mode <shared|per-session>   one upstream connection for all sessions, or one per
                                session (default: per-session)
  --name <name>                 the upstream's name in errors and logs (default: upstream)
  --timeout <ms>                upstream request timeout, 0 for none (default: 60000)
  --env <KEY=VALUE>             set a variable for the stdio child (repeatable)
  --inherit-env <NAME>          pass one of the gateway's variables to the child (repeatable)
  --header <Name: value>        header sent to an HTTP upstream (repeatable)
  --allowed-host <host>         extra Host name to accept (repeatable; loopback names always)
  -h, --help                    show this help

When the HTTP front end is ready it prints "LISTENING <url>" on stdout.`

class UsageError extends Error {}

const SERVE = ['http', 'sse', 'websocket', 'stdio']
const UPSTREAM = ['streamable-http', 'sse', 'websocket']

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      serve: { type: 'string', default: 'http' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '3000' },
      path: { type: 'string', default: '/mcp' },
      mode: { type: 'string', default: 'per-session' },
      name: { type: 'string', default: 'upstream' },
      timeout: { type: 'string', default: '60000' },
      url: { type: 'string' },
      'upstream-transport': { type: 'string', default: 'streamable-http' },
      example: { type: 'boolean', default: false },
      env: { type: 'string', multiple: true, default: [] },
      'inherit-env': { type: 'string', multiple: true, default: [] },
      header: { type: 'string', multiple: true, default: [] },
      'allowed-host': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) return undefined
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535, got ${values.port}`)
  const timeout = Number(values.timeout)
  if (!Number.isInteger(timeout) || timeout < 0)
    throw new UsageError(`--timeout must be a whole number of ms >= 0`)
  if (!SERVE.includes(values.serve)) {
    throw new UsageError(`--serve must be one of ${SERVE.join(', ')}, got ${values.serve}`)
  }
  const transport = values['upstream-transport']
  if (!UPSTREAM.includes(transport)) {
    throw new UsageError(
      `--upstream-transport must be one of ${UPSTREAM.join(', ')}, got ${transport}`,
    )
  }
  if (values.mode !== 'shared' && values.mode !== 'per-session') {
    throw new UsageError(`--mode must be shared or per-session, got ${values.mode}`)
  }
  const sources = [positionals.length > 0, values.url !== undefined, values.example].filter(
    Boolean,
  ).length
  if (sources !== 1)
    throw new UsageError(
      'give exactly one upstream: -- <command> [args...], --url <url> or --example',
    )
  const env: Record<string, string> = {}
  for (const pair of values.env) {
    const eq = pair.indexOf('=')
    if (eq < 1) throw new UsageError(`--env takes KEY=VALUE, got ${pair}`)
    env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  const headers: Record<string, string> = {}
  for (const header of values.header) {
    const colon = header.indexOf(':')
    if (colon < 1) throw new UsageError(`--header takes "Name: value", got ${header}`)
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim()
  }
  if (values.url !== undefined) {
    try {
      new URL(values.url)
    } catch {
      throw new UsageError(`--url is not a URL: ${values.url}`)
    }
  }
  return {
    ...values,
    port,
    timeout,
    env,
    headers,
    mode: values.mode as UpstreamMode,
    command: positionals,
  }
}

async function connector(options: NonNullable<ReturnType<typeof parse>>) {
  if (options.url !== undefined) {
    const target = { url: options.url, headers: options.headers }
    switch (options['upstream-transport']) {
      case 'sse':
        return (await import('@mcpx/transports')).sse(target)
      case 'websocket':
        return (await import('@mcpx/transports/websocket')).websocket(target)
      default:
        return (await import('@mcpx/transports')).streamableHttp(target)
    }
  }
  const [command, ...args] = options.example
    ? [process.execPath, fileURLToPath(new URL('./example-server.js', import.meta.url))]
    : options.command
  const inheritEnv = options['inherit-env']
  return stdio({
    command: command!,
    args,
    env: options.env,
    ...(inheritEnv.length ? { inheritEnv: [...inheritEnv, 'PATH', 'HOME'] } : {}),
  })
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parse>
  try {
    options = parse(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(
      `mcpx-gateway: ${(error as Error).message}\nRun mcpx-gateway --help for usage.\n`,
    )
    process.exit(2)
  }
  if (!options) {
    process.stdout.write(`${HELP}\n`)
    return
  }
  const up = upstream(options.name, await connector(options), {
    mode: options.mode,
    timeout: options.timeout,
  })
  const proxy = createProxy({
    terminal: forward(up),
    strict: false,
    onError: (error) => process.stderr.write(`[mcpx] ${(error as Error)?.stack ?? error}\n`),
  })

  if (options.serve === 'stdio') {
    // Input ended: what was received has been answered; then everything closes.
    const { closed } = serveStdio(proxy)
    await closed
    await proxy.close()
    return
  }
  const server = await serve(proxy, options.serve as Exclude<FrontEnd, 'stdio'>, {
    host: options.host,
    port: options.port,
    path: options.path,
    allowedHosts: ['localhost', '127.0.0.1', '[::1]', ...options['allowed-host']],
  })
  process.stdout.write(`LISTENING ${server.url}\n`)
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`mcpx-gateway: ${signal}, shutting down\n`)
    await server.close()
    await proxy.close()
    process.exit(0)
  }
  process.once('SIGINT', () => void stop('SIGINT'))
  process.once('SIGTERM', () => void stop('SIGTERM'))
}

await main()
