// sh/bash blocks: every command line is read (quotes, comments, `\` continuations, `|`, `&&`, `;`)
// and what it names must exist in this repo: root package.json scripts (`npm start`, `npm run x`),
// workspace packages and their scripts (`pnpm --filter @mcpx/bench bench:e2e`), turbo tasks, repo
// file paths (`node apps/gateway/dist/cli.js`, `--config apps/gateway/examples/gateway.yaml`), and
// `mcpx-gateway` flags, which must be ones its `--help` lists. Commands this cannot check (docker,
// kubectl, …) make the block fail unless it carries `<!-- not-checked: reason -->`.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'

export interface ShellContext {
  root: string
  rootScripts: Set<string>
  /** workspace package name → its directory and scripts */
  workspaces: Map<string, { dir: string; scripts: Set<string> }>
  turboTasks: Set<string>
  /** every `--flag` the gateway's `--help` names, and those of them that take a value */
  gatewayFlags: Set<string>
  gatewayValueFlags: Set<string>
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
}

function scriptsOf(pkg: Record<string, unknown>): Set<string> {
  return new Set(Object.keys((pkg.scripts as Record<string, string> | undefined) ?? {}))
}

/** The repo's facts the checks compare against; `help` is `mcpx-gateway --help`'s output. */
export function shellContext(root: string, help: string): ShellContext {
  const workspaces = new Map<string, { dir: string; scripts: Set<string> }>()
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group)).sort()) {
      const file = join(root, group, name, 'package.json')
      if (!existsSync(file)) continue
      const pkg = readJson(file)
      workspaces.set(String(pkg.name), { dir: join(root, group, name), scripts: scriptsOf(pkg) })
    }
  }
  const turbo = readJson(join(root, 'turbo.json'))
  const gatewayValueFlags = new Set<string>()
  for (const m of help.matchAll(/(--[a-z][a-z-]*) </g)) gatewayValueFlags.add(m[1] as string)
  return {
    root,
    rootScripts: scriptsOf(readJson(join(root, 'package.json'))),
    workspaces,
    turboTasks: new Set(Object.keys((turbo.tasks as object | undefined) ?? {})),
    gatewayFlags: new Set(
      [...help.matchAll(/(?<![\w-])(--[a-z][a-z-]*|-h)\b/g)].map((m) => m[1] as string),
    ),
    gatewayValueFlags,
  }
}

const OPERATORS = new Set(['|', '||', '&&', ';', '&'])

/**
 * One logical line as words and operators: quotes removed (`$VAR` left as written), a `#` that
 * starts a word ends the line.
 */
export function tokenize(line: string): string[] {
  const tokens: string[] = []
  let word = ''
  let inWord = false
  let quote = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (quote) {
      if (c === quote) quote = ''
      else word += c
      continue
    }
    if (c === '"' || c === "'") {
      quote = c
      inWord = true
    } else if (c === '#' && !inWord) {
      break
    } else if (/\s/.test(c)) {
      if (inWord) tokens.push(word)
      word = ''
      inWord = false
    } else if ('|&;'.includes(c)) {
      if (inWord) tokens.push(word)
      const two = line.slice(i, i + 2)
      const op = OPERATORS.has(two) ? two : c
      tokens.push(op)
      i += op.length - 1
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) tokens.push(word)
  return tokens
}

/** Logical lines: `\` continuations joined, a leading `$ ` prompt dropped, blank lines left out. */
export function logicalLines(code: string): string[] {
  const lines: string[] = []
  let pending = ''
  for (const raw of code.split('\n')) {
    const line = pending ? `${pending} ${raw.trim()}` : raw.replace(/^\s*\$ /, '')
    if (/\\\s*$/.test(line)) {
      pending = line.replace(/\\\s*$/, '')
      continue
    }
    pending = ''
    if (line.trim()) lines.push(line)
  }
  if (pending.trim()) lines.push(pending)
  return lines
}

/** Commands that need nothing of the repo; their path-like arguments are still checked. */
const PLAIN_COMMANDS = new Set([
  'curl',
  'printf',
  'echo',
  'export',
  'sha256sum',
  'jq',
  'grep',
  'git',
  'cat',
  'ls',
  'mkdir',
  'openssl',
  'redis-server',
  'redis-cli',
])

/** pnpm's own commands, which are no package script. */
const PNPM_BUILTINS = new Set([
  'install',
  'i',
  'add',
  'remove',
  'rm',
  'update',
  'up',
  'exec',
  'dlx',
  'list',
  'ls',
  'why',
  'outdated',
  'publish',
  'pack',
  'run',
  'test',
  'create',
])

/** Checks of one block's commands, in order; `cd` carries over to the following lines. */
class ShellCheck {
  cwd: string
  problems: string[] = []
  constructor(private readonly ctx: ShellContext) {
    this.cwd = ctx.root
  }

  private fail(problem: string) {
    this.problems.push(problem)
  }

  /** A word that names a file of the repo: relative, starting with a top-level entry or `./`. */
  private checkPath(word: string) {
    if (
      isAbsolute(word) ||
      /^[a-z][a-z+.-]*:/i.test(word) ||
      word.includes('$') ||
      word.includes('*')
    )
      return
    const top = word.split('/')[0] ?? ''
    const fromRoot = this.cwd === this.ctx.root
    const looksLikePath = word.startsWith('./') || word.startsWith('../') || word.includes('/')
    if (!looksLikePath) return
    if (fromRoot && !word.startsWith('.') && !existsSync(join(this.ctx.root, top))) return
    if (!existsSync(resolve(this.cwd, word)))
      this.fail(`no such file in the repo: ${this.shown(word)}`)
  }

  private shown(word: string) {
    const rel = relative(this.ctx.root, this.cwd)
    return rel ? `${word} (in ${rel})` : word
  }

  private workspace(filter: string) {
    const name = filter
      .replace(/^\.\.\.|^\^?\.\.\./, '')
      .replace(/\.\.\.$/, '')
      .replace(/\^$/, '')
    const ws = this.ctx.workspaces.get(name)
    if (!ws) this.fail(`no workspace package ${name}`)
    return ws
  }

  command(argv: string[]) {
    const words = [...argv]
    while (words[0] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words.shift()
    const [cmd, ...args] = words
    if (!cmd) return
    if (cmd === 'cd') return this.cd(args[0] ?? '')
    if (cmd === 'npm') return this.npm(args)
    if (cmd === 'npx') return this.npx(args)
    if (cmd === 'pnpm') return this.pnpm(args)
    if (cmd === 'turbo') return this.turbo(args)
    if (cmd === 'node') return this.node(args)
    if (cmd === 'mcpx-gateway') return this.gateway(args)
    if (PLAIN_COMMANDS.has(cmd)) {
      for (const a of args) this.checkPath(a)
      return
    }
    this.fail(`cannot check the command "${cmd}": mark the block <!-- not-checked: reason -->`)
  }

  private cd(dir: string) {
    const target = resolve(this.cwd, dir)
    if (!existsSync(target)) this.fail(`cd: no such directory in the repo: ${this.shown(dir)}`)
    else this.cwd = target
  }

  private npm(args: string[]) {
    const [sub, ...rest] = args
    if (sub === 'install' || sub === 'i' || sub === 'ci') return
    const script = sub === 'run' ? rest.shift() : sub
    const scripts =
      this.cwd === this.ctx.root
        ? this.ctx.rootScripts
        : [...this.ctx.workspaces.values()].find((w) => w.dir === this.cwd)?.scripts
    if (!script || !scripts?.has(script)) return this.fail(`no npm script "${script}" here`)
    const dash = rest.indexOf('--')
    // `npm start -- <args>` runs the gateway with <args> (scripts/bootstrap.mjs).
    if (script === 'start' && this.cwd === this.ctx.root && dash >= 0)
      this.gateway(rest.slice(dash + 1))
  }

  private npx(args: string[]) {
    const words = args.filter((a) => a !== '-y' && a !== '--yes')
    const [spec, ...rest] = words
    if (!spec) return this.fail('npx without a command')
    const name = spec.replace(/(.)@[^/]*$/, '$1')
    if (name === 'pnpm') return this.pnpm(rest)
    if (name === 'turbo') return this.turbo(rest)
    if (name === 'mcpx-gateway') return this.gateway(rest)
    // Anything else is a package from the registry (biome, vitest, an MCP server): its
    // path-like arguments must exist.
    for (const a of rest) this.checkPath(a)
  }

  private pnpm(args: string[]) {
    let ws: { dir: string; scripts: Set<string> } | undefined
    const rest: string[] = []
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string
      if (a === '--filter' || a === '-F') ws = this.workspace(args[++i] ?? '')
      else if (a.startsWith('--filter=')) ws = this.workspace(a.slice('--filter='.length))
      else if (rest.length === 0 && a.startsWith('-')) continue
      else rest.push(a)
    }
    const [sub, ...more] = rest
    if (!sub) return
    if (sub === 'run') return this.script(more[0], ws)
    if (sub === 'exec' || sub === 'dlx') return this.command(more)
    if (PNPM_BUILTINS.has(sub)) return
    this.script(sub, ws)
  }

  private script(name: string | undefined, ws?: { scripts: Set<string> }) {
    const scripts = ws?.scripts ?? this.ctx.rootScripts
    if (!name || !scripts.has(name)) this.fail(`no package script "${name}"`)
  }

  private turbo(args: string[]) {
    const tasks: string[] = []
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string
      if (a === 'run') continue
      if (a === '--filter' || a === '-F') this.workspace(args[++i] ?? '')
      else if (a.startsWith('--filter=')) this.workspace(a.slice('--filter='.length))
      else if (!a.startsWith('-')) tasks.push(a)
    }
    for (const t of tasks) if (!this.ctx.turboTasks.has(t)) this.fail(`no turbo task "${t}"`)
  }

  private node(args: string[]) {
    const file = args.find((a) => !a.startsWith('-'))
    if (!file) return
    const path = resolve(this.cwd, file)
    if (!existsSync(path)) return this.fail(`no such file in the repo: ${this.shown(file)}`)
    const rest = args.slice(args.indexOf(file) + 1)
    if (path === join(this.ctx.root, 'apps/gateway/dist/cli.js')) return this.gateway(rest)
    for (const a of rest) this.checkPath(a)
  }

  /** `mcpx-gateway` arguments: subcommands, flags its --help lists, repo paths they name. */
  gateway(args: string[]) {
    const sub = args[0]
    let i = 0
    if (sub === 'validate' || sub === 'print-config') i = 1
    else if (sub === 'pins') {
      if (args[1] !== 'list' && args[1] !== 'approve') this.fail(`pins: no subcommand "${args[1]}"`)
      i = 2
    }
    for (; i < args.length; i++) {
      const a = args[i] as string
      if (a === '--') {
        // The rest is the upstream's command line: a command of its own.
        return this.command(args.slice(i + 1))
      }
      if (!a.startsWith('-')) {
        this.checkPath(a)
        continue
      }
      const flag = a.split('=')[0] as string
      if (!this.ctx.gatewayFlags.has(flag))
        this.fail(`mcpx-gateway has no flag ${flag} (see its --help)`)
      if (this.ctx.gatewayValueFlags.has(flag) && !a.includes('=')) {
        const value = args[++i]
        if (value === undefined) this.fail(`mcpx-gateway ${flag} needs a value`)
        else this.checkPath(value)
      }
    }
  }
}

/** The problems of one sh block, each naming the line it is on. */
export function checkShell(code: string, ctx: ShellContext): string[] {
  const check = new ShellCheck(ctx)
  const problems: string[] = []
  for (const line of logicalLines(code)) {
    const before = check.problems.length
    let argv: string[] = []
    for (const token of [...tokenize(line), ';']) {
      if (OPERATORS.has(token)) {
        check.command(argv)
        argv = []
      } else argv.push(token)
    }
    for (const p of check.problems.slice(before)) problems.push(`${p}: ${line.trim()}`)
  }
  return problems
}
