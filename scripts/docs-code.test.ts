// Every code block in docs/**/*.md is checked by its language (issue 16, item 5), so that the
// docs cannot rot:
// - ts/typescript: type-checked against the built workspace packages, one in-memory program for
//   all blocks, each block a module of its own (scripts/readme-blocks/check.mjs, which the
//   README check uses too);
// - yaml/json: parsed; a gateway config (or a fragment of one) validated by the built gateway,
//   `mcpx-gateway validate`, as a start would check it;
// - sh/bash: each command's script, workspace package, turbo task, repo path and gateway flag
//   must exist (scripts/docs-code/shell.ts);
// - text, no language: not code (output, diagrams);
// - anything else fails: give it one of the above, or `<!-- not-checked: reason -->` on the line
//   above its fence (a docker or kubectl block, say). Skipped blocks are listed in the output.
// Needs the packages' and the gateway's dist/ (`npx turbo run build`; npm test builds first).
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { type DocBlock, extractBlocks, kindOf } from './docs-code/blocks.js'
import {
  configKind,
  loadYaml,
  mapLimit,
  parseData,
  placeholderEnv,
  validateConfig,
} from './docs-code/config.js'
import { checkShell, logicalLines, shellContext, tokenize } from './docs-code/shell.js'
import { checkBlocks } from './readme-blocks/check.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const gatewayCli = join(root, 'apps/gateway/dist/cli.js')

function markdownFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) return markdownFiles(path)
      return name.endsWith('.md') ? [path] : []
    })
}

interface Case {
  name: string
  doc: string
  block: DocBlock
  index: number
}

const cases: Case[] = markdownFiles(join(root, 'docs')).flatMap((path) => {
  const doc = relative(root, path)
  return extractBlocks(readFileSync(path, 'utf8')).map((block, i) => ({
    name: `${doc}:${block.line} (${block.lang || 'no language'})`,
    doc,
    block,
    index: i + 1,
  }))
})
const skipped = cases.filter((c) => c.block.notChecked !== undefined)
const checked = cases.filter((c) => c.block.notChecked === undefined)
const byKind = (kind: string) => checked.filter((c) => kindOf(c.block.lang) === kind)

describe('docs code blocks', () => {
  /** case name → problems */
  const problems = new Map<string, string[]>()

  beforeAll(async () => {
    expect(existsSync(gatewayCli), 'build first: npx turbo run build').toBe(true)
    const yaml = loadYaml(root)
    const ts = byKind('ts')
    const tsResults = checkBlocks(
      root,
      [...new Set(ts.map((c) => c.doc))].map((doc) => ({
        readme: doc,
        blocks: ts
          .filter((c) => c.doc === doc)
          .map((c) => ({ index: c.index, line: c.block.line, code: c.block.code })),
      })),
    )
    for (const c of ts) {
      const r = tsResults.find((x) => x.readme === c.doc && x.index === c.index)
      problems.set(
        c.name,
        (r?.errors ?? ['not compiled']).map((e) => e.replace(/^README line/, `${c.doc} line`)),
      )
    }

    const data = [...byKind('yaml'), ...byKind('json')]
    await mapLimit(data, 4, async (c) => {
      const kind = kindOf(c.block.lang) as 'yaml' | 'json'
      const parsed = parseData(yaml, kind, c.block.code)
      const found = [...parsed.errors]
      for (const doc of parsed.errors.length ? [] : parsed.documents) {
        if (!configKind(doc)) continue
        const result = await validateConfig(
          root,
          yaml,
          kind,
          c.block.code,
          doc as Record<string, unknown>,
        )
        if (!result.ok) found.push(`mcpx-gateway validate: ${result.output}`)
      }
      problems.set(c.name, found)
    })

    const help = execFileSync(process.execPath, [gatewayCli, '--help'], { encoding: 'utf8' })
    const ctx = shellContext(root, help)
    for (const c of byKind('sh')) problems.set(c.name, checkShell(c.block.code, ctx))

    for (const c of [...byKind('unknown')])
      problems.set(c.name, [
        `no check for a \`${c.block.lang}\` block: use ts, yaml, json, sh or text, or mark it <!-- not-checked: reason -->`,
      ])
    for (const c of byKind('text')) problems.set(c.name, [])

    if (skipped.length)
      console.log(
        `docs code blocks not checked (${skipped.length}):\n${skipped
          .map((c) => `  ${c.name}: ${c.block.notChecked}`)
          .join('\n')}`,
      )
  }, 60_000)

  it('finds the docs and their blocks', () => {
    expect(cases.map((c) => c.doc)).toEqual(expect.arrayContaining(['docs/getting-started.md']))
    expect(byKind('ts').length).toBeGreaterThan(0)
    expect(byKind('sh').length).toBeGreaterThan(0)
  })

  it.each(skipped)('$name says why it is not checked', ({ block }) => {
    expect(block.notChecked, 'write <!-- not-checked: reason -->').not.toBe('')
  })

  it.each(checked)('$name checks', ({ name }) => {
    expect(problems.get(name)).toEqual([])
  })
})

describe('the docs block checks', () => {
  it('reads fences, languages and the not-checked note above a fence', () => {
    const md = [
      '<!-- not-checked: needs a cluster -->',
      '```bash',
      'kubectl apply -f x.yaml',
      '```',
      '',
      '````md',
      '```ts',
      '````',
      '```',
      'plain',
      '```',
    ].join('\n')
    expect(extractBlocks(md)).toEqual([
      { lang: 'bash', line: 3, code: 'kubectl apply -f x.yaml', notChecked: 'needs a cluster' },
      { lang: 'md', line: 7, code: '```ts' },
      { lang: '', line: 10, code: 'plain' },
    ])
    expect(kindOf('md')).toBe('unknown')
  })

  it('splits command lines into words and operators, continuations joined', () => {
    expect(logicalLines('$ a \\\n  b # c\n\nd')).toEqual(['a  b # c', 'd'])
    expect(tokenize(`printf %s "$T x" | sha256sum && echo 'a # b' # comment`)).toEqual([
      'printf',
      '%s',
      '$T x',
      '|',
      'sha256sum',
      '&&',
      'echo',
      'a # b',
    ])
  })

  it('refuses a missing script, package, path, gateway flag and an unknown command', () => {
    const help = execFileSync(process.execPath, [gatewayCli, '--help'], { encoding: 'utf8' })
    const ctx = shellContext(root, help)
    const good = [
      'npm start -- --config apps/gateway/examples/gateway.yaml --port 0',
      'npm start -- -- npx -y @modelcontextprotocol/server-everything',
      'npx -y pnpm@10.34.8 --filter @mcpx/bench bench:e2e --targets mcpx',
      'npx turbo run build --filter @mcpx/auth...',
      'node apps/gateway/dist/cli.js validate apps/gateway/examples/gateway-auth.yaml',
      'cd packages/bench && node src/e2e.mjs --levels 8',
    ].join('\n')
    expect(checkShell(good, ctx)).toEqual([])
    const bad = [
      'npm run no-such-script',
      'pnpm --filter @mcpx/nope build',
      'node apps/gateway/dist/nope.js',
      'npm start -- --no-such-flag',
      'mcpx-gateway --config docs/nope.yaml',
      'kubectl apply -f deploy.yaml',
      'npx turbo run nope',
    ].join('\n')
    expect(checkShell(bad, ctx)).toEqual([
      expect.stringMatching(/^no npm script "no-such-script"/),
      expect.stringMatching(/^no workspace package @mcpx\/nope/),
      expect.stringMatching(/^no such file in the repo: apps\/gateway\/dist\/nope.js/),
      expect.stringMatching(/^mcpx-gateway has no flag --no-such-flag/),
      expect.stringMatching(/^no such file in the repo: docs\/nope.yaml/),
      expect.stringMatching(/^cannot check the command "kubectl"/),
      expect.stringMatching(/^no turbo task "nope"/),
    ])
  })

  it('validates a gateway config with the gateway and reports its problem', async () => {
    const yaml = loadYaml(root)
    const code = 'upstreams:\n  math: { example: math, timeout: "60s" }\n'
    const [doc] = parseData(yaml, 'yaml', code).documents
    expect(configKind(doc)).toBe('config')
    const bad = await validateConfig(root, yaml, 'yaml', code, doc as Record<string, unknown>)
    expect(bad.ok).toBe(false)
    expect(bad.output).toMatch(/upstreams\.math\.timeout: must be a number/)
    const fragment =
      'rateLimits:\n  limits:\n    - { name: a, algorithm: { fixedWindow: { limit: 1, windowMs: 1000 } } }\n'
    const [frag] = parseData(yaml, 'yaml', fragment).documents
    expect(configKind(frag)).toBe('fragment')
    const ok = await validateConfig(root, yaml, 'yaml', fragment, frag as Record<string, unknown>)
    expect(ok).toEqual({ ok: true, output: '<block>: ok' })
    expect(configKind({ jsonrpc: '2.0', id: 1, method: 'ping' })).toBeUndefined()
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the gateway's ${VAR}, not a template
    expect(placeholderEnv('${REDIS_URL} ${JWT_SECRET:-x} ${A_KEY}', {})).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      A_KEY: expect.stringMatching(/^.{64}$/),
    })
  }, 30_000)
})
