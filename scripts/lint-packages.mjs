#!/usr/bin/env node
// CI-only packaging checks: publint and @arethetypeswrong/cli on every
// published (non-private) workspace package, on the tarball `pnpm pack`
// makes (so that catalog: and workspace: specifiers are resolved as they
// would be on publish). Run after a build.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

const root = join(import.meta.dirname, '..')
const env = {
  ...process.env,
  PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`,
}
const sh = (command, args, cwd) =>
  spawnSync(command, args, { cwd, env, stdio: 'inherit' }).status === 0

let failed = 0
for (const dir of readdirSync(join(root, 'packages'))) {
  const cwd = join(root, 'packages', dir)
  if (!existsSync(join(cwd, 'package.json'))) continue
  const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'))
  if (pkg.private) continue
  const out = mkdtempSync(join(tmpdir(), 'mcpx-pack-'))
  try {
    console.log(`\n> ${pkg.name}`)
    if (!sh('pnpm', ['pack', '--pack-destination', out], cwd)) {
      failed++
      continue
    }
    const tarball = join(
      out,
      readdirSync(out).find((file) => file.endsWith('.tgz')),
    )
    if (!sh('publint', ['run', tarball, '--strict'], cwd)) failed++
    if (!sh('attw', [tarball, '--profile', 'node16'], cwd)) failed++
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}
if (failed) {
  console.error(`\n${failed} packaging check(s) failed`)
  process.exit(1)
}
console.log('\npackaging checks passed')
