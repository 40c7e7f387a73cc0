// promtool for the exposition tests, found on the machine or installed from
// Debian's `prometheus` package (which ships /usr/bin/promtool), as
// @mcpx/test-utils/redis does for redis-server: as root with apt-get the
// tests install it themselves; otherwise they fail saying how, never skip.
import { spawn } from 'node:child_process'
import { ensureDebianTool } from '@mcpx/test-utils'

const HOW_TO_INSTALL =
  'promtool is needed by the exposition tests and was not found on PATH, in /usr/bin or ' +
  'in /usr/local/bin. Install it: `sudo apt-get install -y --no-install-recommends prometheus` ' +
  '(Debian, Ubuntu), `brew install prometheus` (macOS), or put the promtool binary from a ' +
  'Prometheus release on PATH. As root with apt-get, the tests install it themselves.'

/**
 * The path of promtool, installing Debian's `prometheus` package first when
 * it is missing and this process runs as root with apt-get
 * (`--no-install-recommends` leaves out the node exporter; where a service
 * manager runs, the package starts its own Prometheus service, as Debian
 * packages do). Otherwise throws an Error that says how to install it.
 */
export function ensurePromtool(): Promise<string> {
  return ensureDebianTool({ binary: 'promtool', pkg: 'prometheus', howToInstall: HOW_TO_INSTALL })
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
