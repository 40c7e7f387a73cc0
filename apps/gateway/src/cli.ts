import { dirname } from 'node:path'
import { serveStdio } from '@mcpx/transports/stdio'
import { type Invocation, parseCommandLine, UsageError } from './args.js'
import { checkConfig, type GatewayConfig } from './config.js'
import { exposureProblem } from './config-auth.js'
import { metricsPathProblem } from './config-metrics.js'
import { DEFAULT_CONFIG } from './default-config.js'
import { ConfigFileError, loadConfigFile } from './load-config.js'
import { withPinLock } from './pin-lock.js'
import { serve } from './serve.js'
import { manageLifecycle } from './shutdown.js'
import { createGateway } from './stack.js'
import { startupCheck } from './startup-check.js'

const HELP = `mcpx-gateway: serve MCP upstream servers through one mcpx proxy

Usage:
  mcpx-gateway [options]                          the bundled example upstreams (math, data)
  mcpx-gateway [options] --config <file>          the upstreams and routes of a config file
  mcpx-gateway [options] -- <command> [args...]   one upstream over stdio (a child process)
  mcpx-gateway [options] --url <url>              one upstream over HTTP (see --upstream-transport)
  mcpx-gateway [options] --example                the bundled math example upstream alone

Options:
  --config <file>               a JSON (.json) or YAML (.yaml, .yml) config file: serve,
                                auth, rateLimits, timeouts, retry, breaker, concurrency,
                                transformers, metrics, upstreams, routes, router (see the
                                README);
                                \${VAR} and \${VAR:-default} in its strings are replaced; the
                                options below marked * describe the one upstream of the flag
                                form and cannot be combined with it
  --serve <http|sse|websocket|stdio>
                                front end for clients (default: http): Streamable HTTP at
                                --path, legacy HTTP+SSE at /sse and /messages, WebSocket at
                                --path, or stdio
  --host <address>              address to bind (default: 127.0.0.1)
  --port <n>                    port (default: 3000; 0 picks a free one)
  --path <path>                 endpoint path (default: /mcp)
  --allowed-host <host>         extra Host name to accept (repeatable; loopback names always)
  --upstream-transport <streamable-http|sse|websocket>
                              * how to reach a --url upstream (default: streamable-http)
  --mode <shared|per-session> * one upstream connection for all sessions, or one per
                                session (default: per-session)
  --name <name>               * the upstream's name in errors and logs (default: upstream)
  --timeout <ms>              * upstream request timeout, 0 for none (default: 60000)
  --env <KEY=VALUE>           * set a variable for the stdio child (repeatable)
  --inherit-env <NAME>        * pass one of the gateway's variables to the child (repeatable)
  --header <Name: value>      * header sent to an HTTP upstream (repeatable)
  -h, --help                    show this help

--serve, --host, --port, --path and --allowed-host override the config file's serve section.
Without an auth section every client is anonymous, so a --host that is not loopback is
refused unless the config file says auth: none.
A config with a problem is refused whole, each problem named by its JSON path (exit code 2).
When the HTTP front end is ready it prints "LISTENING <url>" on stdout.`

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']

const log = (line: string) => process.stderr.write(`${line}\n`)

function usage(message: string): never {
  process.stderr.write(`mcpx-gateway: ${message}\nRun mcpx-gateway --help for usage.\n`)
  process.exit(2)
}

function refused(what: string, problems: readonly string[]): never {
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`
  usage(`${what}: ${count}\n  ${problems.join('\n  ')}`)
}

/** The checked config the invocation names; exits with code 2 on any problem. */
async function configOf(invocation: Extract<Invocation, { help: false }>): Promise<GatewayConfig> {
  const { configFile, flags } = invocation
  let raw: unknown = flags ?? DEFAULT_CONFIG
  if (configFile !== undefined) {
    try {
      raw = await loadConfigFile(configFile)
    } catch (error) {
      if (error instanceof ConfigFileError) usage(error.message)
      throw error
    }
  }
  const what = configFile ?? (flags ? 'the upstream options' : 'the default config')
  const checked = checkConfig(raw)
  if (!checked.ok) refused(what, checked.problems)
  // Only a file can name a lock file: relative to the file's directory.
  const read = await withPinLock(checked.config, dirname(configFile ?? '.'))
  if (!read.ok) refused(what, read.problems)
  const { serve: overrides } = invocation
  const { serve } = read.config
  const allowedHosts = [...serve.allowedHosts, ...(overrides.allowedHosts ?? [])]
  const config = { ...read.config, serve: { ...serve, ...overrides, allowedHosts } }
  // The command line's --serve and --path may have moved the MCP endpoint onto the metrics path.
  const clash = metricsPathProblem(config.metrics, config.serve)
  if (clash !== undefined) usage(configFile === undefined ? clash : `${configFile}: ${clash}`)
  const exposed = exposureProblem(config)
  if (exposed !== undefined) {
    // Only a file can say `auth` (or `auth: none`).
    if (configFile === undefined) usage(`${exposed} (in a config file given with --config)`)
    usage(`${configFile}: ${exposed}`)
  }
  return config
}

async function main(): Promise<void> {
  let invocation: Invocation
  try {
    invocation = parseCommandLine(process.argv.slice(2))
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      usage((error as Error).message)
    }
    throw error
  }
  if (invocation.help) {
    process.stdout.write(`${HELP}\n`)
    return
  }
  const config = await configOf(invocation)
  let gateway: Awaited<ReturnType<typeof createGateway>>
  try {
    gateway = await createGateway(config, log)
  } catch (error) {
    // A package refused what the config check let through: still the config's fault.
    if (error instanceof TypeError) usage(error.message)
    throw error
  }
  const { proxy, authenticator, wellKnown, metrics } = gateway
  if (config.auth === undefined || config.auth === 'none') {
    const why = config.auth === 'none' ? 'auth: none' : 'no auth section'
    log(`mcpx-gateway: auth is off (${why}): every client is anonymous`)
  }

  // Missing upstreams and name collisions show in the log now, not at the first client.
  await startupCheck(proxy)
  const { transport, host, port, path, allowedHosts } = config.serve
  if (transport === 'stdio') {
    if (metrics)
      log(`mcpx-gateway: ${config.metrics!.path} is not served: stdio has no HTTP listener`)
    // Input ended: what was received has been answered; then everything closes.
    const { closed } = serveStdio(proxy)
    await closed
    await proxy.close()
    return
  }
  const server = await serve(proxy, transport, {
    host,
    port,
    path,
    allowedHosts: [...LOOPBACK, ...allowedHosts],
    authenticate: authenticator,
    wellKnown,
    metrics: metrics && { path: config.metrics!.path, source: metrics },
  })
  process.stdout.write(`LISTENING ${server.url}\n`)
  manageLifecycle({ server, proxy, health: gateway.health, config, log })
}

await main()
