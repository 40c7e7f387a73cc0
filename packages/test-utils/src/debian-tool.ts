// A tool the tests need, found on the machine or installed from its Debian
// package (STYLE: real services start themselves): as root with apt-get the
// tests install it; otherwise they fail saying how, never skip.
import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { runProcess } from './processes.js'

const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin']

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The path of `name` on PATH or in the system directories, or undefined. */
export function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS]
  for (const dir of dirs) {
    const path = join(dir, name)
    if (executable(path)) return path
  }
  return undefined
}

async function aptGet(apt: string, args: string[]): Promise<boolean> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // Waits for dpkg's lock rather than failing when another install runs.
  const lock = ['-o', 'DPkg::Lock::Timeout=300']
  const result = await runProcess(apt, [...lock, ...args], { env, timeoutMs: 600_000 })
  return result.code === 0
}

/** One installer of `pkg` at a time across the test workers of this machine. */
async function withInstallLock<T>(
  pkg: string,
  found: () => string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = join(tmpdir(), `mcpx-${pkg}-install.lock`)
  const deadline = Date.now() + 600_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (found()) return fn()
      // A lock left behind by a killed installer is stale after 10 minutes.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0)
      if (age > 600_000) rmSync(lock, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** What {@link ensureDebianTool} installs, and how it tells the tool is there. */
export interface DebianTool {
  /** The binary's name (`redis-server`, `promtool`). */
  readonly binary: string
  /** The Debian package that ships it (`redis-server`, `prometheus`). */
  readonly pkg: string
  /** What the error says when it cannot be found nor installed. */
  readonly howToInstall: string
}

/**
 * The path of `tool.binary`, installing `tool.pkg` first when it is missing
 * and this process runs as root with apt-get (`install --no-install-recommends`,
 * then `update` and `install` again if that failed). Otherwise throws an
 * Error that says how to install it.
 */
export async function ensureDebianTool(tool: DebianTool): Promise<string> {
  const find = () => which(tool.binary)
  const found = find()
  if (found) return found
  const apt = which('apt-get')
  if (process.getuid?.() !== 0 || !apt) throw new Error(tool.howToInstall)
  return withInstallLock(tool.pkg, find, async () => {
    const again = find()
    if (again) return again
    const install = ['install', '-y', '--no-install-recommends', tool.pkg]
    if (!(await aptGet(apt, install))) {
      await aptGet(apt, ['update'])
      await aptGet(apt, install)
    }
    const installed = find()
    if (!installed) throw new Error(`apt-get install ${tool.pkg} failed. ${tool.howToInstall}`)
    return installed
  })
}
