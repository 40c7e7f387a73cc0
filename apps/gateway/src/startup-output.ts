import type { AccessLogger } from '@mcpx/metrics'
import type { UpstreamStatus } from '@mcpx/router'
import type { GatewayConfig, UpstreamSource } from './config-types.js'
import type { Log } from './stack.js'

/** The router's `upstream "<name>" is missing from <list> …`: a repeat of its initialize's line. */
const MISSING_FROM_LIST = /^\[mcpx router\] upstream "([^"]+)" is missing from /
/** An upstream's own line, by replica: `[mcpx upstream <replica>] …` (or a pool's). */
const UPSTREAM_LINE = /^\[mcpx (?:upstream|pool) ([^\]]+)\] (.*)$/

/** What the start-up output says of one upstream after the check. */
export interface StartupOutcome {
  /** The first upstream that failed and why, as one line (`<name>: failed, <why>`). */
  readonly failed: string | undefined
  /** `fatal`, and an upstream failed: its line was the one line said, the gateway exits. */
  readonly exit: boolean
}

/** The gateway's start-up lines, and the log its stack writes to while they are due. */
export interface StartupOutput {
  /**
   * Give this to `createGateway()`: during the check it holds back what the
   * lines will say. It carries on the gateway log's `access` (JSON entries).
   */
  readonly log: Log
  /** One line per routed upstream: its transport and what it runs or reaches (no secrets). */
  starting(): void
  /**
   * After the check: one line per upstream, ready with its counts or failed
   * with why; then the log passes everything through again. With `fatal`,
   * an upstream that failed is the one line said (and nothing after it: the
   * gateway exits).
   */
  report(statuses: readonly UpstreamStatus[]): StartupOutcome
}

/**
 * Start-up output a person can read (issue 15 item 5): `<name>: starting
 * (…)` before the start-up check, `<name>: ready, 4 tools, 1 prompt` or
 * `<name>: failed, <why>` after it. Meanwhile the router's "is missing
 * from <list>" lines are held, and dropped for an upstream the lines report
 * (they repeat its initialize's "is missing", which stays); the upstream's
 * own "could not start" is said once (not again for the lists). With
 * `fatal` (the flag form: its one upstream failing ends the gateway, in one
 * line) every line waits until the check is over.
 */
export function startupOutput(config: GatewayConfig, log: Log, fatal: boolean): StartupOutput {
  const replicaOf = new Map<string, string>()
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    for (const replica of upstream.replicas) replicaOf.set(replica, name)
  }
  let state: 'before' | 'checking' | 'after' | 'muted' = 'before'
  /** Lines (and, under `fatal`, access entries) until the check is over. */
  const held: (string | (() => void))[] = []
  const said = new Set<string>()
  /** Each upstream's first "could not start …" (its own words name the command and why). */
  const causes = new Map<string, string>()

  const write = (line: string) => {
    if (state === 'muted') return
    if (state !== 'checking') return log(line)
    const [, replica = '', words = ''] = UPSTREAM_LINE.exec(line) ?? []
    if (words.startsWith('could not start ')) {
      if (said.has(line)) return
      said.add(line)
      const name = replicaOf.get(replica)
      if (name !== undefined && !causes.has(name)) causes.set(name, words)
    }
    if (fatal || MISSING_FROM_LIST.test(line)) held.push(line)
    else log(line)
  }

  return {
    log: withAccess(write, (log as { access?: AccessLogger }).access, (entry) => {
      if (state === 'muted') return
      if (state === 'checking' && fatal) held.push(entry)
      else entry()
    }),
    starting() {
      state = 'checking'
      // The routed ones: a backup is reached only through failover, and the check lists none.
      for (const name of Object.keys(config.router.upstreams)) {
        const upstream = config.upstreams[name]
        if (upstream === undefined) continue
        const replicas = upstream.replicas.length
        const more = replicas > 1 ? `, ${replicas} replicas` : ''
        write(`mcpx-gateway: ${name}: starting (${sourceOf(upstream.source)}${more})`)
      }
    },
    report(statuses) {
      const lines = statuses.map((status) => statusLine(status, causes.get(status.name)))
      const failed = lines.find((line) => line.failed)?.text
      if (fatal && failed !== undefined) {
        state = 'muted'
        log(`mcpx-gateway: ${failed}`)
        return { failed, exit: true }
      }
      const reported = new Set(statuses.filter((s) => s.missing).map((s) => s.name))
      state = 'after'
      for (const line of held) {
        if (typeof line === 'function') {
          line()
          continue
        }
        // Said by the start-up line (and by initialize's, which stays: what the router saw).
        const [, name] = MISSING_FROM_LIST.exec(line) ?? []
        if (name === undefined || !reported.has(name)) log(line)
      }
      held.length = 0
      said.clear()
      for (const { text } of lines) log(`mcpx-gateway: ${text}`)
      return { failed, exit: false }
    },
  }
}

/** `write`, with the gateway log's access logger (if it has one) passed through `gate`. */
function withAccess(
  write: Log,
  access: AccessLogger | undefined,
  gate: (entry: () => void) => void,
): Log {
  if (access === undefined) return write
  return Object.assign(write, {
    access: {
      info: (entry) => gate(() => access.info(entry)),
      warn: (entry) => gate(() => access.warn(entry)),
      error: (entry) => gate(() => access.error(entry)),
    } satisfies AccessLogger,
  })
}

/** `stdio, <command>` or `<transport>, <url>`: what a person needs to recognise it. */
export function sourceOf(source: UpstreamSource): string {
  switch (source.kind) {
    case 'example':
      return `stdio, the bundled ${source.example} example`
    case 'command':
      // The command alone: its arguments may hold a token.
      return `stdio, ${source.command}`
    case 'url':
      return `${source.transport}, ${displayUrl(source.url)}`
  }
}

/** The URL without user name, password, query values or fragment: they may hold secrets. */
export function displayUrl(url: string): string {
  if (!URL.canParse(url)) return '(an unparsable URL)'
  const { protocol, host, pathname, searchParams } = new URL(url)
  const keys = [...new Set(searchParams.keys())]
  const query = keys.length === 0 ? '' : `?${keys.map((key) => `${key}=…`).join('&')}`
  return `${protocol}//${host}${pathname}${query}`
}

const COUNTED = [
  ['tools', 'tool', 'tools'],
  ['prompts', 'prompt', 'prompts'],
  ['resources', 'resource', 'resources'],
  ['resourceTemplates', 'resource template', 'resource templates'],
] as const

/** `math: ready, 4 tools, 1 prompt` / `bad: failed, <why>`, without the `mcpx-gateway: `. */
export function statusLine(
  status: UpstreamStatus,
  cause?: string,
): { text: string; failed: boolean } {
  const { name, missing } = status
  const counted = COUNTED.filter(([field]) => status[field] !== undefined)
  const why = cause ?? (missing === undefined ? undefined : ownWords(name, missing))
  if (counted.length === 0) {
    if (why !== undefined) return { text: `${name}: failed, ${why}`, failed: true }
    return { text: `${name}: no answer yet (the start-up check timed out)`, failed: false }
  }
  const counts = counted
    .filter(([field]) => status[field] !== 0)
    .map(([field, one, many]) => `${status[field]} ${status[field] === 1 ? one : many}`)
  let text = `${name}: ready, ${counts.length > 0 ? counts.join(', ') : 'nothing listed'}`
  if (counted.length < COUNTED.length) {
    const lists = COUNTED.filter(([field]) => status[field] === undefined).map(([, , many]) => many)
    text += `; no ${lists.join(', ')} (${why ?? 'no answer yet'})`
  }
  return { text, failed: false }
}

/** The router's message without `Upstream "<name>" ` when the line names that upstream already. */
function ownWords(name: string, message: string): string {
  const prefix = `Upstream "${name}" `
  if (message.startsWith(prefix)) return message.slice(prefix.length)
  return message.replace(/^Upstream "/, 'upstream "')
}
