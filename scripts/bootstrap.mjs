#!/usr/bin/env node
// One entry point for the README's two commands, on a machine that has only
// Node.js >= 20 and npm: install the workspace with the pinned pnpm (through
// npx, so neither a global pnpm nor corepack is needed), build what the task
// needs, then run it.
//
//   npm start  -> node scripts/bootstrap.mjs start   (the sample gateway)
//   npm test   -> node scripts/bootstrap.mjs test    (the whole test suite)
//   npm run example -- <name>                        (one of apps/examples' programs)
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const bin = (name) => join(root, 'node_modules', '.bin', name)

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`mcpx needs Node.js >= 20.19; this is ${process.version}`)
  process.exit(1)
}

// Tools that shell out to pnpm (turbo, publint) find the workspace's own copy.
const env = {
  ...process.env,
  PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`,
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env, ...options })
  if (result.error) throw result.error
  if (result.status !== 0) process.exit(result.status ?? 1)
}

function install() {
  // npx fetches the exact pnpm named in package.json#packageManager.
  run(
    'npx',
    [
      '-y',
      packageManager,
      'install',
      '--frozen-lockfile',
      '--prefer-offline',
      '--reporter=append-only',
    ],
    {
      env: { ...env, npm_config_update_notifier: 'false' },
    },
  )
}

// The Redis store's tests run a real redis-server. Installing it once here
// (Debian's package, as root) spares the parallel test workers from racing to
// install it; where that is impossible the Redis tests fail saying how to.
async function redisServer() {
  const module = join(root, 'packages/test-utils/dist/redis.js')
  const { ensureRedisServer } = await import(pathToFileURL(module).href)
  await ensureRedisServer().catch((error) => console.warn(`warning: ${error.message}`))
}

// The examples are apps/examples' `example:<name>` scripts; each runs dist/<name>.js.
function exampleNames() {
  const manifest = JSON.parse(readFileSync(join(root, 'apps/examples/package.json'), 'utf8'))
  return Object.keys(manifest.scripts)
    .filter((script) => script.startsWith('example:'))
    .map((script) => script.slice('example:'.length))
}

function usage(line) {
  console.error(line)
  process.exit(2)
}

const tasks = {
  async test(args) {
    install()
    run(bin('turbo'), ['run', 'build', '--output-logs=errors-only'])
    await redisServer()
    run(bin('vitest'), ['run', ...args])
  },
  start(args) {
    install()
    run(bin('turbo'), ['run', 'build', '--filter=@mcpx/gateway...', '--output-logs=errors-only'])
    // No arguments: the gateway's default config, the bundled example upstreams behind the router.
    run(process.execPath, [join(root, 'apps/gateway/dist/cli.js'), ...args])
  },
  async example([name, ...args]) {
    const names = exampleNames()
    if (!names.includes(name)) usage(`usage: npm run example -- <${names.join('|')}> [args...]`)
    install()
    // multi-replica runs the gateway's CLI, so the gateway is built too.
    const filters = ['--filter=@mcpx/examples...', '--filter=@mcpx/gateway...']
    run(bin('turbo'), ['run', 'build', ...filters, '--output-logs=errors-only'])
    // Without REDIS_URL, multi-replica starts a redis-server of its own: make sure there is one.
    if (name === 'multi-replica' && !process.env.REDIS_URL) await redisServer()
    run(process.execPath, [join(root, `apps/examples/dist/${name}.js`), ...args])
  },
}

const [task, ...args] = process.argv.slice(2)
if (!task || !(task in tasks)) {
  usage(`usage: node scripts/bootstrap.mjs <${Object.keys(tasks).join('|')}> [args...]`)
}
await tasks[task](args)
