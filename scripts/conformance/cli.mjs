// Command line of scripts/conformance.mjs. Pure except for `usage`, which prints and exits.
import { resolve } from 'node:path'

export const TARGETS = ['direct-http', 'gateway-stdio', 'gateway-http']
const SUITES = ['active', 'all', 'pending']

/**
 * @typedef {object} Options
 * @property {string[]} targets
 * @property {'active' | 'all' | 'pending'} suite
 * @property {boolean} build         build @mcpx/test-utils first
 * @property {number} timeoutS       per target
 * @property {string[]} fixtureArgs  to both fixture bins
 * @property {string | undefined} gatewayCli  absolute path, or the default
 */

/**
 * @param {string[]} argv
 * @returns {Options}
 */
export function parseCli(argv) {
  /** @type {Options} */
  const options = {
    targets: [...TARGETS],
    suite: 'active',
    build: true,
    timeoutS: 300,
    fixtureArgs: [],
    gatewayCli: undefined,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      const v = argv[++i]
      if (v === undefined) usage(`${arg} needs a value`)
      return /** @type {string} */ (v)
    }
    if (arg === '--target') options.targets = value().split(',').filter(Boolean)
    else if (arg === '--suite') options.suite = /** @type {Options['suite']} */ (value())
    else if (arg === '--timeout') options.timeoutS = Number(value())
    else if (arg === '--no-build') options.build = false
    else if (arg === '--fixture-args') options.fixtureArgs = value().split(/\s+/).filter(Boolean)
    else if (arg === '--gateway-cli') options.gatewayCli = resolve(value())
    else if (arg === '--help' || arg === '-h') usage()
    else usage(`unknown argument: ${arg}`)
  }
  for (const t of options.targets) if (!TARGETS.includes(t)) usage(`unknown target: ${t}`)
  if (!SUITES.includes(options.suite)) usage(`unknown suite: ${options.suite}`)
  if (!(options.timeoutS > 0)) usage('--timeout must be > 0')
  return options
}

/** @param {string} [error] */
function usage(error) {
  const text = `usage: node scripts/conformance.mjs [--target ${TARGETS.join(',')}] [--suite ${SUITES.join('|')}] [--no-build] [--timeout <seconds per target>] [--gateway-cli <path>] [--fixture-args "<args>"]`
  if (error) {
    console.error(`${error}\n${text}`)
    process.exit(2)
  }
  console.log(text)
  process.exit(0)
}
