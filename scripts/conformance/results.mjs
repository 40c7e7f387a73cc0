// Reading one runner run: its stdout and the `checks.json` it leaves per scenario under `-o`.
// `parseRunnerOutput` and `summarizeChecks` are pure (and tested); `readRun` joins them to the
// files on disk.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * @typedef {'pass' | 'warn' | 'fail'} Status
 * @typedef {object} ScenarioResult
 * @property {Status} status   fail: a FAILURE check or it did not run; warn: WARNING checks only
 * @property {number} passed
 * @property {number} failed
 * @property {number} warnings
 * @property {string[]} messages  one per FAILURE or WARNING check, or why it did not run
 */

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')
/** @param {string} s */
export const stripAnsi = (s) => s.replace(ANSI, '')
/** @param {string} s */
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * What the runner printed: the suite size it announced first, the scenarios it started
 * ("=== Running scenario: x ==="), and those its summary lists (it counts only SUCCESS and
 * FAILURE checks there, which is why the verdict comes from checks.json instead).
 * @param {string} stdout
 * @returns {{ announced: number | undefined, started: string[], summarized: Set<string> }}
 */
export function parseRunnerOutput(stdout) {
  const out = stripAnsi(stdout)
  const header = /^Running \S+ suite \((\d+) scenarios\)/m.exec(out)
  return {
    announced: header ? Number(header[1]) : undefined,
    started: [...out.matchAll(/^=== Running scenario: (\S+) ===$/gm)].map((m) => m[1] ?? ''),
    summarized: new Set(
      [...out.matchAll(/^[✓✗] (\S+): (\d+) passed, (\d+) failed$/gm)].map((m) => m[1] ?? ''),
    ),
  }
}

/**
 * One scenario's outcome from its checks. A WARNING is not a pass: the runner's suite mode
 * ignores warnings in its exit code, its `--expected-failures` baseline mode does not, and
 * neither do we.
 * @param {{ id: string, status: string, description?: string, errorMessage?: string }[]} checks
 * @returns {ScenarioResult}
 */
export function summarizeChecks(checks) {
  const count = (/** @type {string} */ status) => checks.filter((c) => c.status === status).length
  const failed = count('FAILURE')
  const warnings = count('WARNING')
  return {
    status: failed > 0 ? 'fail' : warnings > 0 ? 'warn' : 'pass',
    passed: count('SUCCESS'),
    failed,
    warnings,
    messages: checks
      .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
      .map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description}`),
  }
}

/**
 * Every scenario the runner started, with its outcome; a started scenario without a
 * checks.json failed (it crashed, or the runner was killed while it ran).
 * @param {string} stdout
 * @param {string} outDir  the runner's `-o` directory
 */
export function readRun(stdout, outDir) {
  const { announced, started, summarized } = parseRunnerOutput(stdout)
  const dirs = readdirSync(outDir)
  /** @type {Map<string, ScenarioResult>} */
  const scenarios = new Map()
  for (const name of started) {
    const pattern = new RegExp(`^server-${escapeRe(name)}-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z$`)
    const dir = dirs.find((d) => pattern.test(d))
    const checksPath = dir && join(outDir, dir, 'checks.json')
    if (!checksPath || !existsSync(checksPath)) {
      const why = summarized.has(name)
        ? 'the runner could not run it (see runner-output.txt)'
        : 'not finished (runner timed out or crashed)'
      scenarios.set(name, { status: 'fail', passed: 0, failed: 0, warnings: 0, messages: [why] })
      continue
    }
    scenarios.set(name, summarizeChecks(JSON.parse(readFileSync(checksPath, 'utf8'))))
  }
  return { scenarios, announced }
}
