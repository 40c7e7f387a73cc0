// Installing the pinned runner (and a Node new enough for it) under .tools/, and asking it
// which spec versions each scenario covers.
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { runProcess } from '../../packages/test-utils/dist/index.js'
import { RUNNER_NODE_MAJOR, SUITE_PACKAGE, SUITE_VERSION } from './expectations.mjs'
import { root, setupError, tools } from './paths.mjs'
import { stripAnsi } from './results.mjs'

const INSTALL_TIMEOUT_MS = 600_000
const env = { ...process.env, NO_COLOR: '1' }

/** Runs `command` in the repo root within `timeoutMs`; see runProcess. */
export const run = (
  /** @type {string} */ command,
  /** @type {string[]} */ args,
  /** @type {number} */ timeoutMs,
) => runProcess(command, args, { cwd: root, env, timeoutMs })

/**
 * @param {string} prefix
 * @param {string} spec
 */
async function npmInstall(prefix, spec) {
  console.log(`installing ${spec} into ${relative(root, prefix)}/ …`)
  mkdirSync(prefix, { recursive: true })
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = await run(
    npm,
    ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, spec],
    INSTALL_TIMEOUT_MS,
  )
  if (result.code !== 0)
    setupError(
      `npm install ${spec} failed${result.timedOut ? ' (timed out)' : ''}\n${result.stderr}`,
    )
}

/**
 * A Node >= 22 binary (the runner imports `fs.globSync`): this one if new enough, else the
 * npm-distributed one under .tools/.
 * @returns {Promise<{ path: string, version: string }>}
 */
export async function ensureRunnerNode() {
  const major = Number(process.versions.node.split('.')[0])
  if (major >= RUNNER_NODE_MAJOR) return { path: process.execPath, version: process.version }
  const platform = process.platform === 'win32' ? 'win' : process.platform
  const pkg = `node-${platform}-${process.arch}`
  const prefix = join(tools, `node${RUNNER_NODE_MAJOR}`)
  const exe = process.platform === 'win32' ? 'node.exe' : 'node'
  const bin = join(prefix, 'node_modules', pkg, 'bin', exe)
  if (!existsSync(bin)) await npmInstall(prefix, `${pkg}@${RUNNER_NODE_MAJOR}`)
  if (!existsSync(bin)) setupError(`${pkg} installed but ${relative(root, bin)} is missing`)
  const real = realpathSync(bin)
  const version = (await run(real, ['--version'], 30_000)).stdout.trim()
  if (!version.startsWith(`v${RUNNER_NODE_MAJOR}.`))
    setupError(`${relative(root, real)} reports ${version}`)
  return { path: real, version }
}

/** The pinned runner's CLI entry under .tools/conformance. */
export async function ensureSuite() {
  const prefix = join(tools, 'conformance')
  const pkgJson = join(prefix, 'node_modules', SUITE_PACKAGE, 'package.json')
  const installed = () =>
    existsSync(pkgJson) ? JSON.parse(readFileSync(pkgJson, 'utf8')) : undefined
  if (installed()?.version !== SUITE_VERSION)
    await npmInstall(prefix, `${SUITE_PACKAGE}@${SUITE_VERSION}`)
  const pkg = installed()
  if (pkg?.version !== SUITE_VERSION)
    setupError(`${SUITE_PACKAGE}@${SUITE_VERSION} did not install`)
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.conformance
  return join(dirname(pkgJson), bin)
}

/**
 * Spec versions per server scenario, from the runner's own `list --server`.
 * @param {string} node
 * @param {string} cli
 */
export async function listScenarios(node, cli) {
  const result = await run(node, [cli, 'list', '--server'], 60_000)
  if (result.code !== 0) setupError(`conformance list failed\n${result.stderr}`)
  /** @type {Map<string, string>} */
  const versions = new Map()
  for (const line of stripAnsi(result.stdout).split('\n')) {
    const match = /^\s+- (\S+)(?: \[([^\]]*)\])?$/.exec(line)
    if (match?.[1]) versions.set(match[1], match[2] ?? '')
  }
  return versions
}
