// What the end-to-end benchmark runs, and how each target is launched. Every target
// serves Streamable HTTP on 127.0.0.1 in front of a stdio upstream (except `raw`,
// which has none), and is started with `node` directly, never through npx or a shell,
// so that the PID we measure is the proxy process itself.

import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const benchRoot = join(here, '..', '..')
export const repoRoot = join(benchRoot, '..', '..')
const node = process.execPath

/** @param {string} name */
function binOf(name) {
  const dir = join(benchRoot, 'node_modules', name)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin[name]
  return { path: join(dir, bin), version: pkg.version }
}

/** @param {string} s */
const shellQuote = (s) => `'${s.replaceAll("'", `'\\''`)}'`

export const upstreams = {
  min: join(here, '..', 'upstreams', 'echo-min.mjs'),
  sdk: join(here, '..', 'upstreams', 'echo-sdk.mjs'),
}

/**
 * @typedef {object} Launch
 * @property {string[]} argv                 command and arguments
 * @property {'stdout' | 'port'} ready       a `LISTENING <url>` line, or the port accepting
 * @property {string} [url]                  known in advance when ready is 'port'
 * @property {Record<string, string>} [env]  added to the target's environment
 * @property {{ headers?: Record<string, string>, tools?: string[] }} [load]  what the load
 *   generator sends this target besides the defaults (credentials, the tool names)
 */

/**
 * @typedef {object} Target
 * @property {string} name
 * @property {'limit' | 'peer' | 'mcpx'} role   peers are what mcpx is compared against
 * @property {boolean} [optIn]                 not in the default target list
 * @property {string} about                     one line for the report
 * @property {() => string | undefined} unavailable  why it cannot run, if it cannot
 * @property {(o: { upstream: string[], port: number }) => Launch | Promise<Launch>} launch
 */

/**
 * The mcpx gateway CLI at `cli`, one shared upstream connection.
 * @param {string} cli
 * @param {string[]} upstream
 * @returns {Launch}
 */
const gateway = (cli, upstream) => ({
  argv: [node, cli, '--port', '0', '--mode', 'shared', '--', ...upstream],
  ready: 'stdout',
})

const gatewayCli = join(repoRoot, 'apps', 'gateway', 'dist', 'cli.js')
const noGateway = () =>
  existsSync(gatewayCli) ? undefined : `${gatewayCli} does not exist yet (build apps/gateway first)`

/** @type {string | undefined} */
let configDir
/**
 * A gateway config file with `upstream` as its one command upstream, named
 * `upstream` like the flag form's, in a temporary directory removed at exit.
 * @param {string} name
 * @param {string[]} upstream
 * @param {object} pool  the upstream's `pool` section
 */
function poolConfig(name, upstream, pool) {
  if (configDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'mcpx-bench-'))
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    configDir = dir
  }
  const path = join(configDir, `${name}.json`)
  const [command, ...args] = upstream
  writeFileSync(path, JSON.stringify({ upstreams: { upstream: { command, args, pool } } }))
  return path
}

/**
 * The mcpx gateway with its upstream in a `pool` (apps/gateway's config
 * section), through a generated `--config` file.
 * @param {string} name
 * @param {string} about
 * @param {object} pool
 * @returns {Target}
 */
const pooled = (name, about, pool) => ({
  name,
  role: 'mcpx',
  about,
  unavailable: noGateway,
  launch: ({ upstream }) => ({
    argv: [node, gatewayCli, '--port', '0', '--config', poolConfig(name, upstream, pool)],
    ready: 'stdout',
  }),
})

const ISSUER = 'https://auth.bench.invalid'
const AUDIENCE = 'mcpx-bench'

/**
 * The gateway with its default production stack on (issue 15, item 7), from
 * gateway-full.yaml: the upstream command and a random HS256 secret through
 * its variables, and a real token signed with that secret (jose) for the load
 * generator, one subject, valid for an hour. The three upstreams are the same
 * command, so that each virtual client calls one of `one_echo`, `two_echo`,
 * `three_echo`: every call goes through the router's namespacing.
 * @param {string[]} upstream
 * @returns {Promise<Launch>}
 */
async function fullStack(upstream) {
  const { SignJWT } = await import('jose')
  const secret = randomBytes(32).toString('hex')
  const token = await new SignJWT({ scope: 'tools:call', client_id: 'mcpx-bench-loadgen' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('bench-client')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret))
  const [command, ...args] = upstream
  if (args.length !== 1) throw new Error('gateway-full.yaml takes an upstream of one script')
  return {
    argv: [
      node,
      gatewayCli,
      '--port',
      '0',
      '--config',
      join(here, '..', 'targets', 'gateway-full.yaml'),
    ],
    ready: 'stdout',
    env: {
      MCPX_BENCH_JWT_SECRET: secret,
      MCPX_BENCH_NODE: /** @type {string} */ (command),
      MCPX_BENCH_UPSTREAM: /** @type {string} */ (args[0]),
    },
    load: {
      headers: { authorization: `Bearer ${token}` },
      tools: ['one_echo', 'two_echo', 'three_echo'],
    },
  }
}

/** @type {Target[]} */
export const targets = [
  {
    name: 'raw',
    role: 'limit',
    about: 'bare node:http JSON-RPC echo, no MCP library, no upstream',
    unavailable: () => undefined,
    launch: () => ({
      argv: [node, join(here, '..', 'targets', 'raw.mjs'), '--port', '0'],
      ready: 'stdout',
    }),
  },
  {
    name: 'mcpx',
    role: 'mcpx',
    about: 'mcpx gateway (apps/gateway), shared upstream connection',
    unavailable: noGateway,
    launch: ({ upstream }) => gateway(gatewayCli, upstream),
  },
  {
    name: 'mcpx-full',
    role: 'mcpx',
    about:
      'mcpx gateway, default production stack: metrics, JWT auth, per-client rate limit, router over 3 upstreams, timeout, breaker',
    unavailable: noGateway,
    launch: ({ upstream }) => fullStack(upstream),
  },
  // Against `mcpx`, which is the same gateway with a plain shared upstream(): the pool's own cost.
  pooled('mcpx-pool-shared', 'mcpx gateway, the upstream in a shared pool of 1 (@mcpx/pool)', {
    min: 1,
    max: 1,
  }),
  pooled(
    'mcpx-pool-per-request-4',
    'mcpx gateway, the upstream in a per-request pool of 4 children, one request each at a time',
    { mode: 'per-request', min: 4, max: 4 },
  ),
  {
    name: 'mcpx-baseline',
    role: 'mcpx',
    optIn: true,
    about:
      'an earlier build of the mcpx gateway, for before/after comparisons in one run (MCPX_BASELINE_CLI)',
    unavailable: () => {
      const cli = process.env.MCPX_BASELINE_CLI
      if (!cli)
        return 'set MCPX_BASELINE_CLI to the cli.js of an earlier build (e.g. a git worktree)'
      return existsSync(cli) ? undefined : `${cli} does not exist`
    },
    launch: ({ upstream }) =>
      gateway(/** @type {string} */ (process.env.MCPX_BASELINE_CLI), upstream),
  },
  {
    name: 'sdk-passthrough',
    role: 'peer',
    about:
      'hand-written: SDK Server + StreamableHTTPServerTransport per session, one SDK Client over stdio',
    unavailable: () => undefined,
    launch: ({ upstream }) => ({
      argv: [
        node,
        join(here, '..', 'targets', 'sdk-passthrough.mjs'),
        '--port',
        '0',
        '--',
        ...upstream,
      ],
      ready: 'stdout',
    }),
  },
  {
    name: 'mcp-proxy',
    role: 'peer',
    about: 'mcp-proxy (punkpeye), Streamable HTTP only, defaults otherwise',
    unavailable: () => undefined,
    launch: ({ upstream, port }) => ({
      argv: [
        node,
        binOf('mcp-proxy').path,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--server',
        'stream',
        '--',
        ...upstream,
      ],
      ready: 'port',
      url: `http://127.0.0.1:${port}/mcp`,
    }),
  },
  supergateway('supergateway-stateful', true),
  supergateway('supergateway', false),
]

/**
 * supergateway takes the upstream as one shell string and always listens on every
 * interface (express `app.listen(port)`, no host flag in 4.0.0); listen-loopback.mjs
 * is preloaded so that it binds 127.0.0.1 only. Its per-message info logging is
 * turned off (`--logLevel none`) so that it is measured at its best.
 * @param {string} name
 * @param {boolean} stateful
 * @returns {Target}
 */
function supergateway(name, stateful) {
  return {
    name,
    role: 'peer',
    about: stateful
      ? 'supergateway --stateful: one stdio child per session'
      : 'supergateway default (stateless): one stdio child per request',
    unavailable: () => undefined,
    launch: ({ upstream, port }) => ({
      argv: [
        node,
        '--import',
        join(here, 'listen-loopback.mjs'),
        binOf('supergateway').path,
        '--stdio',
        upstream.map(shellQuote).join(' '),
        '--outputTransport',
        'streamableHttp',
        ...(stateful ? ['--stateful'] : []),
        '--port',
        String(port),
        '--logLevel',
        'none',
      ],
      ready: 'port',
      url: `http://127.0.0.1:${port}/mcp`,
    }),
  }
}

/** Versions of the peers, for the report. */
export function peerVersions() {
  return {
    supergateway: binOf('supergateway').version,
    'mcp-proxy': binOf('mcp-proxy').version,
  }
}
