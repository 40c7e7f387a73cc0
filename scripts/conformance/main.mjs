// The run itself, loaded by scripts/conformance.mjs once @mcpx/test-utils is built (its
// process helpers start the targets and the runner).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import { killStartedSync } from '../../packages/test-utils/dist/index.js'
import { EXPECTED_FAILURES, scenariosOf } from './expectations.mjs'
import { judge } from './judge.mjs'
import { defaultGatewayCli, docPath, root } from './paths.mjs'
import { renderReport } from './report.mjs'
import { ensureRunnerNode, ensureSuite, listScenarios } from './setup.mjs'
import { runTarget, targetSpecs } from './targets.mjs'

process.on('exit', killStartedSync)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killStartedSync()
    process.exit(130)
  })
}

/**
 * @param {import('./cli.mjs').Options} options
 * @param {string} command  as typed, for the report
 * @returns {Promise<number>} the exit code
 */
export async function main(options, command) {
  const gatewayCli = options.gatewayCli ?? defaultGatewayCli
  const runnerNode = await ensureRunnerNode()
  const cli = await ensureSuite()
  const versions = await listScenarios(runnerNode.path, cli)
  const specs = targetSpecs({ gatewayCli, fixtureArgs: options.fixtureArgs })

  const results = []
  for (const target of options.targets) {
    const result = await runTarget(target, /** @type {any} */ (specs[target]), {
      node: runnerNode.path,
      cli,
      suite: options.suite,
      timeoutS: options.timeoutS,
      gatewayCli,
    })
    results.push(result)
    if (result.skipped) console.log(`${target}: skipped, ${result.skipped}`)
    else if (result.error) console.log(`${target}: did not run: ${result.error}`)
    else if (result.scenarios) {
      const pass = [...result.scenarios.values()].filter((s) => s.status === 'pass').length
      console.log(
        `${target}: ${pass}/${result.scenarios.size} scenarios pass (${result.seconds.toFixed(1)} s, results in ${relative(root, result.outDir ?? '')})`,
      )
    }
  }

  const { problems } = judge(results, {
    scenarios: scenariosOf(options.suite),
    expectedFailures: EXPECTED_FAILURES,
  })
  const report = renderReport({
    results,
    specs,
    versions,
    suite: options.suite,
    command,
    runnerNode: runnerNode.version,
    problems,
  })
  mkdirSync(dirname(docPath), { recursive: true })
  writeFileSync(docPath, report)
  console.log(`wrote ${relative(root, docPath)}`)
  if (problems.length === 0) return 0
  console.error(
    `\n${problems.length} gate failure(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  )
  return 1
}
