import { type FSWatcher, watch as watchDirectory } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { UpstreamSource } from '@mcpx/transports'
import type { GatewayConfig } from './config.js'
import type { ServeConfig } from './config-types.js'
import type { Generations } from './generation.js'
import { notReadyUpstreams } from './health.js'
import type { Served } from './serve.js'
import { createGateway, type Log } from './stack.js'
import { startupCheck } from './startup-check.js'
import { checkConfigFile } from './validate-command.js'

/** Editors write a file in several steps (truncate, write, rename): one reload after the last. */
const DEBOUNCE = 200

/**
 * The sections a running gateway cannot change: the listener (`serve`) and
 * what it answers before the stack (`auth`'s authenticator and metadata,
 * the `metrics` endpoint, the session registry of `sessions`) were given to
 * it at start, and the `redis` that registry holds a client of.
 */
const RESTART_ONLY = ['serve', 'auth', 'metrics', 'logging', 'redis', 'sessions'] as const

interface ReloadOptions {
  file: string
  /** The command line's serve flags, applied over the file's `serve` as at start. */
  overrides: Partial<ServeConfig>
  config: GatewayConfig
  generations: Generations
  /** The network front end, whose `/readyz` follows the new upstreams; none under stdio. */
  server?: Served | undefined
  log: Log
}

/** The running reload machinery; `close()` stops the watcher and the SIGHUP handler. */
export interface Reloading {
  /** Read the file again and apply it; resolves when that reload (and any queued) is done. */
  reload(trigger: string): Promise<void>
  close(): void
}

/**
 * Reload `file` on SIGHUP and when it changes: check it as a start does
 * (`checkConfigFile`, every problem with its line), refuse it whole on any
 * problem or on a change to a section only a restart applies, else build
 * the next generation (unchanged upstreams keep their sources), swap it in
 * and tell every session its lists changed. Refused, the old config keeps
 * serving. Reloads run one at a time; triggers meanwhile make one more.
 */
export function manageReload(options: ReloadOptions): Reloading {
  const { file, overrides, generations, server, log } = options
  let running = options.config
  let active: Promise<void> | undefined
  let queued: string | undefined
  let lastText: string | undefined
  void readFile(file, 'utf8').then(
    (text) => {
      lastText ??= text
    },
    () => {},
  )

  async function apply(trigger: string): Promise<void> {
    const refuse = (problems: readonly string[]) => {
      const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`
      log(
        `mcpx-gateway: reload (${trigger}) refused, the running config keeps serving: ${file}: ${count}\n  ${problems.join('\n  ')}`,
      )
    }
    const checked = await checkConfigFile(file)
    if (!checked.ok) return refuse(checked.problems)
    const { serve } = checked.config
    const allowedHosts = [...serve.allowedHosts, ...(overrides.allowedHosts ?? [])]
    const config = { ...checked.config, serve: { ...serve, ...overrides, allowedHosts } }
    const restart = RESTART_ONLY.filter(
      (section) => JSON.stringify(config[section]) !== JSON.stringify(running[section]),
    )
    if (restart.length > 0) {
      return refuse(restart.map((section) => `${section}: changed; only a restart applies it`))
    }
    // Pins in Redis outlive the stack: the next one reads them there. Those in memory (the
    // running stack's or the new one's) would start over.
    if (forgetsPins(running) || forgetsPins(config)) {
      return refuse([
        'transformers.pinTools: pins first seen are kept in memory and a reload would forget them (trusting what the servers serve now); restart, keep them in Redis (store: redis), or pin from a strict lockFile',
      ])
    }
    const previous = generations.current
    let next: Awaited<ReturnType<typeof createGateway>>
    try {
      next = await createGateway(config, log, previous.carried)
    } catch (error) {
      return refuse([(error as Error)?.message ?? String(error)])
    }
    // As at start: a missing upstream or a name collision shows in the log now.
    await startupCheck(next.proxy)
    const kept = new Set<UpstreamSource>()
    const before = new Set(previous.carried.sources.values())
    for (const source of next.carried.sources.values()) if (before.has(source)) kept.add(source)
    generations.swap(next, kept, config.serve.shutdownTimeout)
    const said = summary(running, config, kept)
    running = config
    if (server) server.health.notReady = notReadyUpstreams(next.health, config.upstreams)
    log(`mcpx-gateway: reloaded ${file} (${trigger}): ${said}`)
  }

  function reload(trigger: string): Promise<void> {
    if (active) {
      queued = trigger
      return active
    }
    active = (async () => {
      let next: string | undefined = trigger
      while (next !== undefined) {
        queued = undefined
        try {
          await apply(next)
        } catch (error) {
          log(`mcpx-gateway: reload (${next}) failed: ${(error as Error)?.message ?? error}`)
        }
        next = queued
      }
    })().finally(() => {
      active = undefined
    })
    return active
  }

  let timer: NodeJS.Timeout | undefined
  const changed = () => {
    clearTimeout(timer)
    timer = setTimeout(async () => {
      // A save that wrote the same bytes (or an editor's backup dance) changes nothing.
      const text = await readFile(file, 'utf8').catch(() => undefined)
      if (text !== undefined && text === lastText) return
      lastText = text
      void reload('the file changed')
    }, DEBOUNCE)
    timer.unref()
  }
  // The directory, not the file: an editor that saves by renaming a new file over it replaces
  // the inode a file watcher would follow. A Kubernetes ConfigMap volume changes no file of that
  // name: the kubelet renames a new `..data` link (to a new directory) over the old one.
  let watcher: FSWatcher | undefined
  const names = new Set([basename(file), '..data'])
  try {
    watcher = watchDirectory(dirname(file), (_event, changedName) => {
      if (changedName === null || names.has(changedName)) changed()
    })
    watcher.on('error', (error) => {
      log(`mcpx-gateway: watching ${file} stopped (${error.message}); SIGHUP still reloads`)
      watcher?.close()
    })
    watcher.unref()
  } catch (error) {
    log(`mcpx-gateway: cannot watch ${file} (${(error as Error).message}); SIGHUP still reloads`)
  }
  const onHangup = () => {
    readFile(file, 'utf8').then(
      (text) => {
        lastText = text
      },
      () => {},
    )
    void reload('SIGHUP')
  }
  process.on('SIGHUP', onHangup)
  return {
    reload,
    close() {
      clearTimeout(timer)
      watcher?.close()
      process.off('SIGHUP', onHangup)
    },
  }
}

/** Whether the config's pins first seen live in this stack's memory alone (no Redis, no strict lock). */
function forgetsPins(config: GatewayConfig): boolean {
  const pins = config.transformers?.pinTools
  if (pins === undefined || pins.store !== undefined) return false
  return pins.lock === undefined || pins.strict === false
}

/** SIGHUP without a config file: there is nothing to read again. */
export function ignoreHangup(log: Log): () => void {
  const onHangup = () =>
    log('mcpx-gateway: SIGHUP: nothing to reload (no --config file); the config stays as it is')
  process.on('SIGHUP', onHangup)
  return () => process.off('SIGHUP', onHangup)
}

/** `upstreams a, b (added b; removed c)`: what a reload changed, by upstream name. */
function summary(
  before: GatewayConfig,
  after: GatewayConfig,
  kept: ReadonlySet<UpstreamSource>,
): string {
  const names = Object.keys(after.upstreams)
  const added = names.filter((n) => !(n in before.upstreams))
  const removed = Object.keys(before.upstreams).filter((n) => !(n in after.upstreams))
  const changes = [
    added.length > 0 && `added ${added.join(', ')}`,
    removed.length > 0 && `removed ${removed.join(', ')}`,
    `${kept.size} replica connection source(s) kept`,
  ].filter(Boolean)
  return `upstreams ${names.join(', ')} (${changes.join('; ')})`
}
