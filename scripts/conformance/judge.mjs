// The gate: from every target's per-scenario results and what is expected of them, pass or
// fail with one reason per problem. Pure, so that each rule has a test (judge.test.mjs).

/**
 * @typedef {import('./results.mjs').ScenarioResult} ScenarioResult
 * @typedef {object} TargetResult
 * @property {string} target
 * @property {string} [skipped]     why it did not start (e.g. the gateway is not built)
 * @property {string} [error]       why it failed to start or run
 * @property {string} [incomplete]  why the runner's run is not the whole suite
 * @property {Map<string, Pick<ScenarioResult, 'status'>>} [scenarios]
 *
 * @typedef {object} Expectations
 * @property {readonly string[]} scenarios  every scenario the suite must report, on every target
 * @property {Readonly<Record<string, string>>} expectedFailures  scenarios the baseline may fail, with why
 * @property {string} [baseline]  the target served directly by the fixture (default `direct-http`)
 *
 * @typedef {{ pass: boolean, problems: string[] }} Verdict
 */

/**
 * Rules, in order:
 * - a target that was skipped, did not run, or ran the suite incompletely fails;
 * - every target reports exactly the expected scenarios (none missing, none unknown);
 * - on the baseline, every scenario passes unless it is an expected failure, and an expected
 *   failure that passes is stale (so the list stays honest);
 * - on any other target (a proxy in front of the fixture), every scenario the baseline passed
 *   passes too; when the baseline did not run, every scenario that is not an expected failure.
 * A warning-only scenario is not a pass.
 * @param {readonly TargetResult[]} results
 * @param {Expectations} expectations
 * @returns {Verdict}
 */
export function judge(results, expectations) {
  const { scenarios: expected, expectedFailures } = expectations
  const baselineName = expectations.baseline ?? 'direct-http'
  /** @type {string[]} */
  const problems = []
  const known = new Set(expected)
  for (const r of results) {
    if (r.skipped) problems.push(`${r.target}: skipped: ${firstLine(r.skipped)}`)
    if (r.error) problems.push(`${r.target}: did not run: ${firstLine(r.error)}`)
    if (r.incomplete) problems.push(`${r.target}: ${firstLine(r.incomplete)}`)
    if (!r.scenarios) continue
    for (const name of expected)
      if (!r.scenarios.has(name)) problems.push(`${r.target}: ${name} is missing from the run`)
    for (const name of r.scenarios.keys())
      if (!known.has(name))
        problems.push(`${r.target}: ${name} is not an expected scenario of this suite`)
  }

  const baseline = results.find((r) => r.target === baselineName)?.scenarios
  if (baseline) {
    for (const [name, s] of baseline) {
      if (!known.has(name)) continue
      const mayFail = Object.hasOwn(expectedFailures, name)
      if (s.status !== 'pass' && !mayFail)
        problems.push(`${baselineName}: ${name} is ${s.status} and not an expected failure`)
      if (s.status === 'pass' && mayFail)
        problems.push(`${baselineName}: ${name} passes; remove it from the expected failures`)
    }
  }
  const mustPass = expected.filter((name) =>
    baseline ? baseline.get(name)?.status === 'pass' : !Object.hasOwn(expectedFailures, name),
  )
  for (const r of results) {
    if (r.target === baselineName || !r.scenarios) continue
    for (const name of mustPass) {
      const s = r.scenarios.get(name)
      if (s && s.status !== 'pass')
        problems.push(
          `${r.target}: ${name} is ${s.status} but ${baseline ? `${baselineName} passes it` : 'it is expected to pass'}`,
        )
    }
  }
  return { pass: problems.length === 0, problems }
}

/** @param {string} s */
const firstLine = (s) => s.split('\n')[0] ?? ''
