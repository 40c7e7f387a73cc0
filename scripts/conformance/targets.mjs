// The three ways the fixture is served (directly, and through the gateway over stdio and over
// Streamable HTTP), and one runner run against each.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { startProcess } from '../../packages/test-utils/dist/index.js'
import { fixtureHttp, fixtureStdio, root, tools } from './paths.mjs'
import { readRun } from './results.mjs'
import { run } from './setup.mjs'

/**
 * @typedef {import('../../packages/test-utils/dist/index.js').StartedProcess} StartedProcess
 * @typedef {object} TargetSpec
 * @property {() => string} describe   how it is started, for the report
 * @property {boolean} needsGateway
 * @property {() => Promise<{ url: string, procs: StartedProcess[] }>} start
 */

/**
 * @param {string} name
 * @param {string[]} args  to `node`
 */
const start = (name, args) => startProcess(process.execPath, args, { name, cwd: root })

/**
 * Its URL once ready; a process that never got ready is stopped before the error propagates.
 * @param {StartedProcess} proc
 */
async function urlOf(proc) {
  try {
    return await proc.ready
  } catch (error) {
    await proc.stop()
    throw error
  }
}

/**
 * @param {{ gatewayCli: string, fixtureArgs: string[] }} o
 * @returns {Record<string, TargetSpec>}
 */
export function targetSpecs({ gatewayCli, fixtureArgs }) {
  const shownArgs = fixtureArgs.length ? ` ${fixtureArgs.join(' ')}` : ''
  const startFixtureHttp = () => start('fixture-http', [fixtureHttp, '--port', '0', ...fixtureArgs])
  return {
    'direct-http': {
      describe: () =>
        `\`node packages/test-utils/dist/bin/conformance-http.js --port 0${shownArgs}\``,
      needsGateway: false,
      async start() {
        const fixture = startFixtureHttp()
        return { url: await urlOf(fixture), procs: [fixture] }
      },
    },
    'gateway-stdio': {
      describe: () =>
        `\`node apps/gateway/dist/cli.js --port 0 -- node packages/test-utils/dist/bin/conformance-stdio.js${shownArgs}\``,
      needsGateway: true,
      async start() {
        const gateway = start('gateway-stdio', [
          gatewayCli,
          '--port',
          '0',
          '--',
          process.execPath,
          fixtureStdio,
          ...fixtureArgs,
        ])
        return { url: await urlOf(gateway), procs: [gateway] }
      },
    },
    'gateway-http': {
      describe: () =>
        '`node apps/gateway/dist/cli.js --port 0 --url <fixture-http-url>` (fixture as in direct-http)',
      needsGateway: true,
      async start() {
        const fixture = startFixtureHttp()
        const upstream = await urlOf(fixture)
        const gateway = start('gateway-http', [gatewayCli, '--port', '0', '--url', upstream])
        try {
          return { url: await urlOf(gateway), procs: [fixture, gateway] }
        } catch (error) {
          await fixture.stop()
          throw error
        }
      },
    },
  }
}

/**
 * Starts `target`, runs the suite against it, stops it.
 * @param {string} target
 * @param {TargetSpec} spec
 * @param {{ node: string, cli: string, suite: string, timeoutS: number, gatewayCli: string }} o
 */
export async function runTarget(target, spec, { node, cli, suite, timeoutS, gatewayCli }) {
  if (spec.needsGateway && !existsSync(gatewayCli)) {
    return {
      target,
      skipped: `${relative(root, gatewayCli)} does not exist (build the gateway first)`,
    }
  }
  const outDir = join(tools, 'conformance-results', target)
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  const started = Date.now()
  /** @type {StartedProcess[]} */
  let procs = []
  try {
    const { url, procs: running } = await spec.start()
    procs = running
    console.log(`${target}: testing ${url}`)
    const args = [cli, 'server', '--url', url, '--suite', suite, '-o', outDir]
    const result = await run(node, args, timeoutS * 1000)
    writeFileSync(
      join(outDir, 'runner-output.txt'),
      `${result.stdout}\n--- stderr ---\n${result.stderr}`,
    )
    const { scenarios, announced } = readRun(result.stdout, outDir)
    const runnerExit = result.timedOut
      ? `killed after ${timeoutS} s`
      : String(result.code ?? result.signal)
    // The runner announces the suite size first; anything short of it is an incomplete run.
    let incomplete
    if (result.timedOut) incomplete = `runner killed after ${timeoutS} s (--timeout)`
    else if (announced === undefined)
      incomplete = `runner exited ${runnerExit} without running the suite`
    else if (scenarios.size < announced)
      incomplete = `runner announced ${announced} scenarios, reported ${scenarios.size}`
    else if (result.code !== 0 && ![...scenarios.values()].some((s) => s.status === 'fail'))
      incomplete = `runner exited ${runnerExit} with no failing scenario`
    return {
      target,
      url,
      scenarios,
      incomplete,
      runnerExit,
      seconds: (Date.now() - started) / 1000,
      outDir,
    }
  } catch (error) {
    return {
      target,
      error: /** @type {Error} */ (error).message,
      seconds: (Date.now() - started) / 1000,
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()))
  }
}
