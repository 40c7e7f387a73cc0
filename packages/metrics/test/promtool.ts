// promtool for the exposition tests, found on the machine or installed from
// Debian's `prometheus` package (which ships /usr/bin/promtool), as
// @mcpx/test-utils/redis does for redis-server: as root with apt-get the
// tests install it themselves; otherwise they fail saying how, never skip.
import { spawn } from 'node:child_process'
import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { runProcess } from '@mcpx/test-utils'

const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin']

const HOW_TO_INSTALL =
  'promtool is needed by the exposition tests and was not found on PATH, in /usr/bin or ' +
  'in /usr/local/bin. Install it: `sudo apt-get install -y --no-install-recommends prometheus` ' +
  '(Debian, Ubuntu), `brew install prometheus` (macOS), or put the promtool binary from a ' +
  'Prometheus release on PATH. As root with apt-get, the tests install it themselves.'

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS]
  for (const dir of dirs) {
    const path = join(dir, name)
    if (executable(path)) return path
  }
  return undefined
}

async function aptGet(apt: string, args: string[]): Promise<boolean> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // Waits for dpkg's lock (another worker installing redis-server) rather than failing.
  const lock = ['-o', 'DPkg::Lock::Timeout=300']
  const result = await runProcess(apt, [...lock, ...args], { env, timeoutMs: 600_000 })
  return result.code === 0
}

/** One installer at a time across the test workers of this machine. */
async function withInstallLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), 'mcpx-promtool-install.lock')
  const deadline = Date.now() + 600_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (which('promtool')) return fn()
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

/**
 * The path of promtool, installing Debian's `prometheus` package first when
 * it is missing and this process runs as root with apt-get (`install`, then
 * `update` and `install` again if that failed). `--no-install-recommends`
 * leaves out the node exporter; where a service manager runs, the package
 * starts its own Prometheus service, as Debian packages do. Otherwise throws
 * an Error that says how to install it.
 */
export async function ensurePromtool(): Promise<string> {
  const found = which('promtool')
  if (found) return found
  const apt = which('apt-get')
  if (process.getuid?.() !== 0 || !apt) throw new Error(HOW_TO_INSTALL)
  return withInstallLock(async () => {
    const again = which('promtool')
    if (again) return again
    const install = ['install', '-y', '--no-install-recommends', 'prometheus']
    if (!(await aptGet(apt, install))) {
      await aptGet(apt, ['update'])
      await aptGet(apt, install)
    }
    const installed = which('promtool')
    if (!installed) throw new Error(`apt-get install prometheus failed. ${HOW_TO_INSTALL}`)
    return installed
  })
}

export interface PromtoolResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** `promtool check metrics` on `text` (it reads stdin only), killed after `timeoutMs`. */
export function checkMetrics(
  promtool: string,
  text: string,
  timeoutMs = 30_000,
): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    // A promtool that exits early (a parse error) closes its stdin: not our failure.
    child.stdin.on('error', () => {})
    child.stdin.end(text)
  })
}
