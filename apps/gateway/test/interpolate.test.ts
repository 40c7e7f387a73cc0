// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` in plain strings is what is under test
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { interpolate } from '../src/interpolate.js'
import { loadConfigFile } from '../src/load-config.js'

const env = { JWT_SECRET: 's3cret', EMPTY: '', HOST: 'mcp.test', NESTED: '${JWT_SECRET}' }

function resolved(value: unknown): unknown {
  const result = interpolate(value, env)
  if (!result.ok) throw new Error(result.problems.join('\n'))
  return result.value
}

function problemsOf(value: unknown): readonly string[] {
  const result = interpolate(value, env)
  if (result.ok) throw new Error('interpolated without a problem')
  return result.problems
}

describe('interpolate', () => {
  it('replaces ${NAME} in every string value, however deep, and leaves keys and other values', () => {
    expect(
      resolved({
        auth: { jwt: { secret: '${JWT_SECRET}', algorithms: ['HS256'], clockTolerance: 5 } },
        upstreams: { '${HOST}': { url: 'https://${HOST}/mcp', headers: { a: 'x-${HOST}-y' } } },
        flag: true,
        none: null,
      }),
    ).toEqual({
      auth: { jwt: { secret: 's3cret', algorithms: ['HS256'], clockTolerance: 5 } },
      upstreams: { '${HOST}': { url: 'https://mcp.test/mcp', headers: { a: 'x-mcp.test-y' } } },
      flag: true,
      none: null,
    })
  })

  it('uses ${NAME:-default} when the variable is unset or empty, and the variable when set', () => {
    expect(resolved(['${MISSING:-fallback}', '${EMPTY:-fallback}', '${HOST:-fallback}'])).toEqual([
      'fallback',
      'fallback',
      'mcp.test',
    ])
    expect(resolved(['${MISSING:-}', '${EMPTY}', 'a${MISSING:-b:c}d'])).toEqual(['', '', 'ab:cd'])
  })

  it('reads $${ as a literal ${, and never interpolates what a variable holds', () => {
    expect(resolved(['$${HOST}', 'cost: $5', '$$', '${NESTED}'])).toEqual([
      '${HOST}',
      'cost: $5',
      '$$',
      '${JWT_SECRET}',
    ])
  })

  it('reports an unset variable without a default under its path, naming the variable only', () => {
    expect(problemsOf({ auth: { jwt: { secret: '${JWT_SECRET_2}' } }, list: ['${NOPE}'] })).toEqual(
      [
        'auth.jwt.secret: variable JWT_SECRET_2 is not set (give a default with ${JWT_SECRET_2:-…})',
        'list[0]: variable NOPE is not set (give a default with ${NOPE:-…})',
      ],
    )
  })

  it.each([
    ['${HOST', 'has a "${" without its closing "}"'],
    ['${1HOST}', 'has a "${…}" that is neither ${NAME} nor ${NAME:-default}'],
    ['${HOST-x}', 'has a "${…}" that is neither'],
    ['${A:-${B}}', 'the default of ${A:-…} may not hold another "${"'],
  ])('refuses the malformed reference %j', (text, problem) => {
    expect(problemsOf({ a: text })[0]).toContain(`a: ${problem}`)
  })
})

describe('loadConfigFile', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-interpolate-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('interpolates a YAML file from the environment it is given', async () => {
    const file = join(dir, 'env.yaml')
    await writeFile(file, 'auth:\n  jwt:\n    secret: ${JWT_SECRET}\n    typ: ${TYP:-at+jwt}\n')
    expect(await loadConfigFile(file, env)).toEqual({
      auth: { jwt: { secret: 's3cret', typ: 'at+jwt' } },
    })
  })

  it('refuses a file whose variables are not set, every one by its path', async () => {
    const file = join(dir, 'missing.json')
    await writeFile(file, JSON.stringify({ a: '${X}', b: ['${Y}'] }))
    await expect(loadConfigFile(file, {})).rejects.toThrow(
      `${file}: 2 problems\n  a: variable X is not set (give a default with \${X:-…}) (${file}:1)\n  b[0]: variable Y is not set`,
    )
  })
})
