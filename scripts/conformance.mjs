#!/usr/bin/env node
// Runs the official MCP conformance *server* scenarios (@modelcontextprotocol/conformance,
// pinned in conformance/expectations.mjs) against the test-utils fixture served directly and
// through the gateway, writes docs/conformance.md, and fails when a target loses a scenario.
//
//   node scripts/conformance.mjs [--target direct-http,gateway-stdio,gateway-http]
//                                [--suite active|all|pending] [--no-build] [--timeout <s>]
//                                [--gateway-cli <path>]   (default apps/gateway/dist/cli.js)
//                                [--fixture-args "<args>"] (to both fixture bins, e.g.
//                                 "--server-requests standalone": sampling and elicitation
//                                 then travel on the standalone GET SSE stream)
//
// Exit codes: 0 ok, 1 a gate failed (see the report printed last), 2 usage or setup error.
// The runner needs Node >= 22 (it imports `fs.globSync`), so Node 22 is installed from the npm
// registry under .tools/ when the Node running this script is older.
//
// The pieces, under conformance/: cli (arguments), build (@mcpx/test-utils), setup (runner
// install), targets (what is started and how), results (reading a run), judge (the gate, pure
// and unit-tested), report (docs/conformance.md), expectations (the pinned suite's scenarios
// and expected failures). Processes are started with @mcpx/test-utils' helpers, which the bench
// uses too; so that module is imported only once the package is built.
import { existsSync } from 'node:fs'
import { buildFixture } from './conformance/build.mjs'
import { parseCli } from './conformance/cli.mjs'
import { fixtureHttp, fixtureStdio, setupError, testUtilsEntry } from './conformance/paths.mjs'

const argv = process.argv.slice(2)
const options = parseCli(argv)
if (options.build) buildFixture()
if (![fixtureHttp, fixtureStdio, testUtilsEntry].every((p) => existsSync(p)))
  setupError('@mcpx/test-utils is not built; build it or drop --no-build')
try {
  const { main } = await import('./conformance/main.mjs')
  process.exitCode = await main(options, ['node scripts/conformance.mjs', ...argv].join(' '))
} catch (error) {
  console.error(error)
  process.exit(2)
}
