// Building @mcpx/test-utils, the one step that runs before its process helpers exist: it is
// synchronous (nothing else runs yet), so spawnSync with a deadline is all it needs.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fixtureDir, root, setupError } from './paths.mjs'

const BUILD_TIMEOUT_MS = 180_000

export function buildFixture() {
  const require = createRequire(join(fixtureDir, 'package.json'))
  const tsupPkg = require.resolve('tsup/package.json')
  const { bin } = JSON.parse(readFileSync(tsupPkg, 'utf8'))
  const cli = join(dirname(tsupPkg), typeof bin === 'string' ? bin : bin.tsup)
  console.log('building @mcpx/test-utils …')
  const result = spawnSync(process.execPath, [cli], {
    cwd: fixtureDir,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    env: { ...process.env, NO_COLOR: '1' },
  })
  if (result.status !== 0)
    setupError(
      `building @mcpx/test-utils failed${result.error ? ` (${result.error.message})` : ''} in ${root}\n${result.stdout}\n${result.stderr}`,
    )
}
