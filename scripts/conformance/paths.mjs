import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const tools = join(root, '.tools')
export const fixtureDir = join(root, 'packages/test-utils')
export const fixtureHttp = join(fixtureDir, 'dist/bin/conformance-http.js')
export const fixtureStdio = join(fixtureDir, 'dist/bin/conformance-stdio.js')
/** The built @mcpx/test-utils, whose process helpers the targets and setup use. */
export const testUtilsEntry = join(fixtureDir, 'dist/index.js')
export const defaultGatewayCli = join(root, 'apps/gateway/dist/cli.js')
export const docPath = join(root, 'docs/conformance.md')

/** @param {string} message */
export function setupError(message) {
  console.error(`conformance: ${message}`)
  process.exit(2)
}
