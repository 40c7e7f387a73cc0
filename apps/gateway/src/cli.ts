import type { McpProxy } from '@mcpx/core'
import type { Router } from '@mcpx/router'
import { serveStdio } from '@mcpx/transports/stdio'
import { type Invocation, parseCommandLine, UsageError } from './args.js'
import { checkConfig, type GatewayConfig } from './config.js'
import { exposureProblem } from './config-auth.js'
import { metricsPathProblem } from './config-metrics.js'
import { sessionsProblem } from './config-redis.js'
import { DEFAULT_CONFIG } from './default-config.js'
import { createGenerations } from './generation.js'
import { createLog } from './log.js'
import { pinsCommand } from './pins-command.js'
import { printConfigCommand } from './print-config.js'
import { ignoreHangup, manageReload } from './reload.js'
import { serve } from './serve.js'
import { createSessionRegistry } from './sessions.js'
import { manageLifecycle } from './shutdown.js'
import { createGateway } from './stack.js'
import { startupCheck } from './startup-check.js'
import { listenError } from './startup-listen.js'
import { type StartupOutput, startupOutput } from './startup-output.js'
import { checkConfigFile, validateCommand } from './validate-command.js'

const HELP = `mcpx-gateway: serve MCP upstream servers through one mcpx proxy

Usage:
  mcpx-gateway [options]                          the bundled example upstreams (math, data, admin)
  mcpx-gateway [options] --config <file>          the upstreams and routes of a config file
  mcpx-gateway [options] -- <command> [args...]   one upstream over stdio (a child process)
  mcpx-gateway [options] --url <url>              one upstream over HTTP (see --upstream-transport)
  mcpx-gateway [options] --example                the bundled math example upstream alone
  mcpx-gateway validate <file>                    check a config file as a start would, start
                                                  nothing: "<file>: ok" (exit 0) or each
                                                  problem with its line (exit 2)
  mcpx-gateway print-config [file]                the config (default: the bundled one) with
                                                  every secret masked, as YAML (JSON for .json)
  mcpx-gateway pins list --config <file>          the tool pins in force, and what is held back
  mcpx-gateway pins approve --config <file> (--all | <upstream>/<tool>...)
                                                  approve held-back tools into the lock file

Options:
  --config <file>               a JSON (.json) or YAML (.yaml, .yml) config file: serve,
                                auth, rateLimits, timeouts, retry, breaker, concurrency,
                                transformers, metrics, logging, redis, sessions, upstreams,
                                routes, router (see the README);
                                \${VAR} and \${VAR:-default} in its strings are replaced; the
                                options below marked * describe the one upstream of the flag
                                form and cannot be combined with it
  --serve <http|sse|websocket|stdio>
                                front end for clients (default: http): Streamable HTTP at
                                --path, legacy HTTP+SSE at /sse and /messages, WebSocket at
                                --path, or stdio
  --host <address>              address to bind (default: 127.0.0.1)
  --port <n>                    port, decimal 0-65535 (default: 3000; 0 picks a free one)
  --path <path>                 endpoint path, starting with / (default: /mcp)
  --allowed-host <host>         extra Host name to accept (repeatable; loopback names always)
  --upstream-transport <streamable-http|sse|websocket>
                              * how to reach a --url upstream (default: streamable-http)
  --mode <shared|per-session> * one upstream connection for all sessions, or one per
                                session (default: per-session, unlike the library's shared:
                                an unknown stdio server may keep state per client)
  --name <name>               * the upstream's name in errors and logs (default: the
                                command's basename, the URL's host, or math)
  --timeout <ms>              * upstream request timeout, 0 for none (default: 60000)
  --connect-timeout <ms>      * time to start the upstream and finish initialize
                                (default: 30000)
  --env <KEY=VALUE>           * set a variable for the stdio child (repeatable)
  --inherit-env <NAME>        * pass one more of the gateway's variables to the child, on top
                                of HOME, LANG, LC_ALL, LOGNAME, PATH, SHELL, TERM, TMPDIR,
                                TZ and USER (repeatable)
  --header <Name: value>      * header sent to an HTTP upstream (repeatable)
  -h, --help                    show this help

--serve, --host, --port, --path and --allowed-host override the config file's serve section.
Without an auth section every client is anonymous, so a --host that is not loopback is
refused unless the config file says auth: none.
A config with a problem is refused whole, each problem named by its JSON path (exit code 2).
A bad command line exits with code 2; a failure to run (the port taken, the address not on
this machine, or the one upstream of -- <command>, --url or --example failing to start) with
code 1, in one line on stderr.
On stderr, a line per upstream before the start-up check ("<name>: starting (...)") and after
it ("<name>: ready, 3 tools, 1 prompt" or "<name>: failed, <why>").
When the HTTP front end is ready it prints "LISTENING <url>" on stdout.`

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']

// Text until the config's `logging` section (and MCPX_LOG_*) is applied, then maybe pino JSON.
const log = createLog()

function usage(message: string): never {
  process.stderr.write(`mcpx-gateway: ${message}\nRun mcpx-gateway --help for usage.\n`)
  process.exit(2)
}

/** A failure of the run, not of the command line: one line, exit code 1. */
function runtimeFailure(message: string): never {
  process.stderr.write(`mcpx-gateway: ${message}\n`)
  process.exit(1)
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  EACCES: 'permission denied (a port below 1024 needs privileges)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name could not be resolved (temporary failure)',
}

/** Why `listen()` failed in words, with the errno code; undefined for anything else. */
function listenProblem(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !Object.hasOwn(LISTEN_ERRORS, code)) return undefined
  return `${LISTEN_ERRORS[code]} (${code})`
}

const hostPort = (host: string, port: number) =>
  `${host.includes(':') ? `[${host}]` : host}:${port}`

function refused(what: string, problems: readonly string[]): never {
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`
  usage(`${what}: ${count}\n  ${problems.join('\n  ')}`)
}

/** The checked config the invocation names; exits with code 2 on any problem. */
async function configOf(invocation: Extract<Invocation, { help: false }>): Promise<GatewayConfig> {
  const { configFile, flags } = invocation
  // A file is checked as `validate` checks it (each problem with its line); only a file can
  // name a lock file, so the flag form and the default need the schema alone.
  const what = configFile ?? (flags ? 'the upstream options' : 'the default config')
  const checked =
    configFile === undefined
      ? checkConfig(flags ?? DEFAULT_CONFIG)
      : await checkConfigFile(configFile)
  if (!checked.ok) {
    const [only] = checked.problems
    // A file that cannot be read or parsed is one line that names it already.
    if (checked.problems.length === 1 && only!.startsWith(`${configFile}:`)) usage(only!)
    refused(what, checked.problems)
  }
  const { serve: overrides } = invocation
  const { serve } = checked.config
  const allowedHosts = [...serve.allowedHosts, ...(overrides.allowedHosts ?? [])]
  const config = { ...checked.config, serve: { ...serve, ...overrides, allowedHosts } }
  // The command line's --serve and --path may have moved the MCP endpoint onto the metrics path.
  const clash = metricsPathProblem(config.metrics, config.serve)
  if (clash !== undefined) usage(configFile === undefined ? clash : `${configFile}: ${clash}`)
  // --serve and --host may have taken the session registry off Streamable HTTP, or onto 0.0.0.0.
  const unserved = sessionsProblem(config.sessions, config.serve)
  if (unserved !== undefined)
    usage(configFile === undefined ? unserved : `${configFile}: ${unserved}`)
  const exposed = exposureProblem(config)
  if (exposed !== undefined) {
    // Only a file can say `auth` (or `auth: none`).
    if (configFile === undefined) usage(`${exposed} (in a config file given with --config)`)
    usage(`${configFile}: ${exposed}`)
  }
  return config
}

/** A front end that could not listen exits now, in one line, before any upstream starts. */
async function refuseUnlistenable({ transport, host, port }: GatewayConfig['serve']) {
  // Port 0 too: the host may not be on this machine, or not resolve. Stdio listens on nothing.
  if (transport === 'stdio') return
  const why = listenProblem(await listenError(host, port))
  if (why !== undefined) runtimeFailure(`cannot listen on ${hostPort(host, port)}: ${why}`)
}

/**
 * Missing upstreams and name collisions show now, not at the first client:
 * a line per upstream before the start-up check and after it. The flag
 * form's one upstream failing exits with that line (code 1).
 */
async function checkUpstreams(proxy: McpProxy, router: Router, startup: StartupOutput) {
  startup.starting()
  await startupCheck(proxy)
  if (!startup.report(router.upstreams()).exit) return
  await proxy.close()
  process.exit(1)
}

async function main(): Promise<void> {
  if (process.argv[2] === 'pins') {
    const io = { out: (line: string) => process.stdout.write(`${line}\n`), err: log }
    process.exitCode = await pinsCommand(process.argv.slice(3), io)
    return
  }
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
  if ('command' in invocation) {
    process.exitCode =
      invocation.command === 'validate'
        ? await validateCommand(invocation.file)
        : await printConfigCommand(invocation.file)
    return
  }
  if (invocation.help) {
    process.stdout.write(`${HELP}\n`)
    return
  }
  const config = await configOf(invocation)
  log.configure(config.logging)
  // Until the reload is set up, a SIGHUP must not end the process (its default).
  const early = () => log('mcpx-gateway: SIGHUP before the gateway serves: ignored')
  process.on('SIGHUP', early)
  await refuseUnlistenable(config.serve)
  // The flag form's one upstream failing at start-up ends the gateway: nothing to serve.
  const startup = startupOutput(config, log, invocation.flags !== undefined)
  let gateway: Awaited<ReturnType<typeof createGateway>>
  try {
    gateway = await createGateway(config, startup.log)
  } catch (error) {
    // A package refused what the config check let through: still the config's fault.
    if (error instanceof TypeError) usage(error.message)
    throw error
  }
  const generations = createGenerations(gateway, log)
  const { authenticator, wellKnown, metrics } = gateway
  // One proxy for the front end's life; a reload swaps the stack behind it.
  const { proxy } = generations
  const reloading = (server?: Awaited<ReturnType<typeof serve>>) => {
    process.off('SIGHUP', early)
    const { configFile, serve: overrides } = invocation
    if (configFile === undefined) return { close: ignoreHangup(log) }
    return manageReload({ file: configFile, overrides, config, generations, server, log })
  }
  // Said once something listens, so that a gateway that cannot start prints only why.
  const authOff = () => {
    if (config.auth !== undefined && config.auth !== 'none') return
    const why = config.auth === 'none' ? 'auth: none' : 'no auth section'
    log(`mcpx-gateway: auth is off (${why}): every client is anonymous`)
  }

  await checkUpstreams(proxy, gateway.router, startup)
  const { transport, host, port, path, allowedHosts } = config.serve
  if (transport === 'stdio') {
    if (metrics)
      log(`mcpx-gateway: ${config.metrics!.path} is not served: stdio has no HTTP listener`)
    authOff()
    const reload = reloading()
    // Input ended: what was received has been answered; then everything closes.
    const { closed } = serveStdio(proxy)
    await closed
    reload.close()
    await proxy.close()
    return
  }
  // Before the listener: the first sessions' claims need Redis (waited for up to 5 s).
  const registry =
    config.sessions && (await createSessionRegistry(config.sessions, config.redis!, log))
  let server: Awaited<ReturnType<typeof serve>>
  try {
    server = await serve(proxy, transport, {
      host,
      port,
      path,
      allowedHosts: [...LOOPBACK, ...allowedHosts],
      authenticate: authenticator,
      wellKnown,
      metrics: metrics && { path: config.metrics!.path, source: metrics },
      registry: registry && ((origin) => registry.options(origin)),
      log,
    })
  } catch (error) {
    const why = listenProblem(error)
    if (why === undefined) throw error
    await proxy.close()
    await registry?.close()
    runtimeFailure(`cannot listen on ${hostPort(host, port)}: ${why}`)
  }
  authOff()
  // Before the line that says it serves: whoever waits for it may signal at once.
  manageLifecycle({ server, proxy, health: gateway.health, config, log, registry })
  reloading(server)
  process.stdout.write(`LISTENING ${server.url}\n`)
}

await main()
