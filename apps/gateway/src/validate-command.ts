import { dirname } from 'node:path'
import { router } from '@mcpx/router'
import type { PinLock } from '@mcpx/transformers'
import { createAuth } from './auth.js'
import { checkConfig, type GatewayConfig } from './config.js'
import { exposureProblem } from './config-auth.js'
import { ConfigFileError, readConfigSource } from './load-config.js'
import { withPinLock } from './pin-lock.js'

/** A config file checked as a start would check it: the config, or each problem placed in the file. */
export type FileChecked =
  | { ok: true; config: GatewayConfig }
  | { ok: false; problems: readonly string[] }

/**
 * Read and check `file` exactly as `mcpx-gateway --config FILE` does before
 * it starts anything (the schema, the pin lock file, the rule that a
 * non-loopback listener needs an auth section, the authenticators' and the
 * router's own refusals), every problem as
 * `path: problem (file:line)`. `missingLock` is `withPinLock`'s `missing`.
 */
export async function checkConfigFile(file: string, missingLock?: PinLock): Promise<FileChecked> {
  let source: Awaited<ReturnType<typeof readConfigSource>>
  try {
    source = await readConfigSource(file)
  } catch (error) {
    if (error instanceof ConfigFileError) return { ok: false, problems: error.problems }
    throw error
  }
  const { locate } = source
  const checked = checkConfig(source.value)
  if (!checked.ok) return { ok: false, problems: checked.problems.map(locate) }
  const read = await withPinLock(checked.config, dirname(file), missingLock)
  if (!read.ok) return { ok: false, problems: read.problems.map(locate) }
  const exposed = exposureProblem(read.config)
  if (exposed !== undefined) return { ok: false, problems: [locate(exposed)] }
  const refused = refusal(read.config)
  if (refused !== undefined) return { ok: false, problems: [locate(refused)] }
  return read
}

/**
 * What `createGateway` would throw as a `TypeError` (a package refusing what
 * the check let through), of the factories that start nothing when made:
 * the authenticators and the router. Pools, Redis stores and the rest
 * connect or spawn when made, so a start still finds their refusals.
 */
function refusal(config: GatewayConfig): string | undefined {
  try {
    createAuth(config)
    router({ ...config.router, log: () => {} })
    return undefined
  } catch (error) {
    if (error instanceof TypeError) return error.message
    throw error
  }
}

/**
 * `mcpx-gateway validate FILE`: `FILE: ok` on stdout and 0, or one line per
 * problem on stderr and 2. Nothing is started: no upstream, no listener, no
 * Redis connection.
 */
export async function validateCommand(file: string): Promise<number> {
  const checked = await checkConfigFile(file)
  if (checked.ok) {
    process.stdout.write(`${file}: ok\n`)
    return 0
  }
  process.stderr.write(`${checked.problems.join('\n')}\n`)
  return 2
}
