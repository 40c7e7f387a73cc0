import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { PendingTool, PinLock, PinTools } from '@mcpx/transformers'
import { writePinLock } from '@mcpx/transformers/node'
import type { GatewayConfig } from './config.js'
import { createGateway } from './stack.js'
import { startupCheck } from './startup-check.js'
import { checkConfigFile } from './validate-command.js'

/** Where the command's output goes: `out` its answer, `err` diagnostics and the gateway's log. */
export interface PinsIo {
  out(line: string): void
  err(line: string): void
}

/** A `pins` command line or config the command cannot use; exit code 2. */
class PinsUsageError extends Error {}

const USAGE =
  'usage: mcpx-gateway pins list --config <file> | pins approve --config <file> (--all | <upstream>/<tool>...)'

/** An empty lock (strict): every tool listed is `unlisted`, so that `approve --all` writes the first lock. */
const EMPTY_LOCK: PinLock = Object.freeze({ version: 1, tools: Object.freeze({}) })

/**
 * `mcpx-gateway pins list|approve`: start the config's upstreams and its
 * `pinTools` exactly as the gateway would (no listener), list every
 * upstream's tools once through the stack, then print the pins in force and
 * what is held back (`list`), or approve what is held back and write the
 * lock file (`approve`). A lock file that does not exist yet counts as an
 * empty strict lock, so `approve --all` writes the first one. Returns the
 * exit code: 0, 1 when a named tool is not held back (nothing is written),
 * 2 for a bad command line or config.
 */
export async function pinsCommand(argv: readonly string[], io: PinsIo): Promise<number> {
  try {
    const { action, configFile, all, names } = parsePins(argv)
    const { config, lockFile } = await pinsConfig(configFile)
    const gateway = await createGateway(config, (line) => io.err(line))
    try {
      const pins = gateway.pins
      if (pins === undefined)
        throw new PinsUsageError(`${configFile}: has no transformers.pinTools section`)
      await startupCheck(gateway.proxy)
      if (action === 'list') return await list(pins, io)
      if (lockFile === undefined) {
        throw new PinsUsageError(
          `${configFile}: approving needs transformers.pinTools.lockFile, where the approved pins are written`,
        )
      }
      return await approve(pins, all ? undefined : names, lockFile, io)
    } finally {
      await gateway.proxy.close()
    }
  } catch (error) {
    if (!(error instanceof PinsUsageError)) throw error
    io.err(`mcpx-gateway pins: ${error.message}`)
    return 2
  }
}

interface PinsInvocation {
  action: 'list' | 'approve'
  configFile: string
  all: boolean
  /** `approve`'s tools, as `[upstream, tool]`. */
  names: [string, string][]
}

function parsePins(argv: readonly string[]): PinsInvocation {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    throw new PinsUsageError(`${(error as Error).message.split('. ')[0]}\n${USAGE}`)
  }
  const { values, positionals } = parsed
  const [action, ...rest] = positionals
  if (action !== 'list' && action !== 'approve') throw new PinsUsageError(USAGE)
  if (values.config === undefined) throw new PinsUsageError(`--config <file> is required\n${USAGE}`)
  const all = values.all === true
  if (action === 'list' && (all || rest.length > 0)) throw new PinsUsageError(USAGE)
  if (action === 'approve' && all === rest.length > 0) {
    throw new PinsUsageError(
      `approve takes --all or <upstream>/<tool> names, not both or neither\n${USAGE}`,
    )
  }
  const names = rest.map((name): [string, string] => {
    // Upstream names never hold a slash; a tool's name may.
    const slash = name.indexOf('/')
    if (slash < 1 || slash === name.length - 1)
      throw new PinsUsageError(`not <upstream>/<tool>: ${name}`)
    return [name.slice(0, slash), name.slice(slash + 1)]
  })
  return { action, configFile: values.config, all, names }
}

const parse = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { config: { type: 'string' }, all: { type: 'boolean' } },
  })

/** The checked config (a lock file that does not exist yet read as an empty lock), and the lock's path. */
async function pinsConfig(file: string): Promise<{ config: GatewayConfig; lockFile?: string }> {
  const checked = await checkConfigFile(file, EMPTY_LOCK)
  if (!checked.ok) throw new PinsUsageError(checked.problems.join('\n'))
  const lockFile = checked.config.transformers?.pinTools?.lockFile
  if (lockFile === undefined) return { config: checked.config }
  return { config: checked.config, lockFile: resolve(dirname(file), lockFile) }
}

/** One line per tool: `<upstream>/<tool>  <status>  <hash>`, the pins in force first, then what is held back. */
async function list(pins: PinTools, io: PinsIo): Promise<number> {
  const held = pins.list()
  const heldKeys = new Set(held.map(keyOf))
  const lock = await pins.lock()
  for (const [upstream, tools] of Object.entries(lock.tools)) {
    for (const [tool, hash] of Object.entries(tools)) {
      if (!heldKeys.has(`${upstream}/${tool}`)) io.out(`${upstream}/${tool}  pinned  ${hash}`)
    }
  }
  for (const tool of held) {
    const was = tool.pinned === undefined ? '' : `  (pinned ${tool.pinned})`
    io.out(`${keyOf(tool)}  ${tool.reason}  ${tool.seen || '-'}${was}`)
  }
  if (held.length > 0)
    io.err(
      `${held.length} held back: mcpx-gateway pins approve --config <file> <upstream>/<tool>... or --all`,
    )
  return 0
}

/** Approve `names` (every held tool when undefined) and write the lock; nothing is written if one is not held. */
async function approve(
  pins: PinTools,
  names: [string, string][] | undefined,
  lockFile: string,
  io: PinsIo,
): Promise<number> {
  const held = pins.list().filter((tool) => tool.reason !== 'unhashable')
  const chosen = names ?? held.map((tool): [string, string] => [tool.upstream, tool.tool])
  const missing = chosen.filter(
    ([upstream, tool]) => !held.some((h) => h.upstream === upstream && h.tool === tool),
  )
  if (missing.length > 0) {
    for (const [upstream, tool] of missing)
      io.err(`mcpx-gateway pins: ${upstream}/${tool} is not held back; nothing written`)
    return 1
  }
  for (const [upstream, tool] of chosen) {
    const seen = held.find((h) => h.upstream === upstream && h.tool === tool)!.seen
    await pins.approve(upstream, tool, seen)
    io.out(`approved ${upstream}/${tool}  ${seen}`)
  }
  await writePinLock(lockFile, await pins.lock())
  io.err(`wrote ${lockFile}; a running gateway reads it when it restarts`)
  return 0
}

const keyOf = (tool: PendingTool) => `${tool.upstream}/${tool.tool}`
