// Every ```ts block in the READMEs compiles against the built packages (item 9 of issue 7):
// examples cannot rot. Needs the packages' dist/ (npm test builds first). A block that is not
// meant as a complete program takes another fence language (```text, ```js).
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkBlocks, readmePaths } from './check.mjs'
import { extractTsBlocks } from './extract.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const readmes = readmePaths(root).map((readme) => ({
  readme,
  blocks: extractTsBlocks(readFileSync(join(root, readme), 'utf8')),
}))
const cases = readmes.flatMap(({ readme, blocks }) =>
  blocks.map((b) => ({
    name: `${readme} block ${b.index} (line ${b.line})`,
    readme,
    index: b.index,
  })),
)

describe('README code blocks', () => {
  /** @type {import('./check.mjs').BlockResult[]} */
  let results = []
  beforeAll(() => {
    results = checkBlocks(root, readmes)
  }, 120_000)

  it('finds the READMEs and their blocks', () => {
    expect(readmes.map((r) => r.readme)).toEqual(
      expect.arrayContaining(['README.md', 'packages/core/README.md']),
    )
    expect(cases.length).toBeGreaterThan(0)
  })

  it.each(cases)('$name type-checks', ({ readme, index }) => {
    const result = results.find((r) => r.readme === readme && r.index === index)
    expect(result?.errors).toEqual([])
  })
})

describe('the README block checker', () => {
  it('reports a type error with the block and its README line', () => {
    const code = [
      "import { createProxy } from '@mcpx/core'",
      '',
      'const proxy = createProxy()',
      "proxy.use('not a middleware')",
    ].join('\n')
    const [result] = checkBlocks(root, [
      { readme: 'BAD.md', blocks: [{ index: 1, line: 10, code }] },
    ])
    expect(result?.readme).toBe('BAD.md')
    expect(result?.errors).toHaveLength(1)
    expect(result?.errors[0]).toMatch(/^README line 13: TS2345: Argument of type 'string'/)
  }, 120_000)

  it('reports a name no import defines, and an unknown package', () => {
    const [result] = checkBlocks(root, [
      {
        readme: 'BAD.md',
        blocks: [
          { index: 1, line: 1, code: "import { x } from 'no-such-package-mcpx'\nproxy.use(x)" },
        ],
      },
    ])
    expect(result?.errors).toEqual([
      expect.stringMatching(/^README line 1: TS2307: Cannot find module 'no-such-package-mcpx'/),
      expect.stringMatching(/^README line 2: TS\d+: Cannot find name 'proxy'/),
    ])
  }, 120_000)
})

describe('extractTsBlocks', () => {
  it('takes ts and typescript fences, skips the others, and numbers from 1', () => {
    const md = [
      '# x',
      '```sh',
      'npm test',
      '```',
      '```ts',
      'const a = 1',
      '```',
      '````typescript',
      '```ts',
      'nested fence',
      '```',
      '````',
      '```text',
      'const not = checked',
      '```',
    ].join('\n')
    expect(extractTsBlocks(md)).toEqual([
      { index: 1, line: 6, code: 'const a = 1' },
      { index: 2, line: 9, code: '```ts\nnested fence\n```' },
    ])
  })
})
