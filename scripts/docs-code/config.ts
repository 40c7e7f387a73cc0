// YAML and JSON blocks: parsed, and when they are gateway configs, validated by the built gateway
// (`mcpx-gateway validate`, the check a start runs: schema, interpolation, the packages' own
// option checks, the loopback rule). The gateway exports no checker of its own from dist/, only
// the schema, which misses the packages' checks, so the CLI is the one that says what a start
// would say.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The sections of a gateway config, as the gateway's generated JSON Schema lists them. */
export const GATEWAY_SECTIONS: readonly string[] = Object.keys(
  (
    JSON.parse(
      readFileSync(new URL('../../apps/gateway/config.schema.json', import.meta.url), 'utf8'),
    ) as { properties: Record<string, unknown> }
  ).properties,
).filter((key) => key !== '$schema')

/** What a fragment (gateway sections without `upstreams`) is validated with. */
const STUB_UPSTREAMS = { example: { example: 'math' } }

export interface ParsedData {
  /** each YAML document (one for JSON) */
  documents: unknown[]
  errors: string[]
}

export type Yaml = typeof import('yaml')

/** The `yaml` package the gateway itself parses with (the root has none of its own). */
export function loadYaml(root: string): Yaml {
  return createRequire(join(root, 'apps/gateway/package.json'))('yaml') as Yaml
}

export function parseData(yaml: Yaml, kind: 'yaml' | 'json', code: string): ParsedData {
  if (kind === 'json') {
    try {
      return { documents: [JSON.parse(code)], errors: [] }
    } catch (error) {
      return { documents: [], errors: [`JSON: ${(error as Error).message}`] }
    }
  }
  const docs = yaml.parseAllDocuments(code)
  const list = Array.isArray(docs) ? docs : [docs]
  const errors = list.flatMap((d) => d.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`))
  return { documents: list.map((d) => d.toJS()), errors }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * 'config': a whole gateway config; 'fragment': gateway sections without `upstreams` (validated
 * with a stub upstream added); undefined: some other data (a JSON-RPC message, a lock file).
 */
export function configKind(value: unknown): 'config' | 'fragment' | undefined {
  if (!isPlainObject(value)) return undefined
  const keys = Object.keys(value).filter((k) => k !== '$schema')
  if (keys.length === 0 || !keys.every((k) => GATEWAY_SECTIONS.includes(k))) return undefined
  return 'upstreams' in value ? 'config' : 'fragment'
}

/**
 * A value for each `${NAME}` the block needs that the environment lacks, shaped for what such a
 * variable usually holds (a Redis URL, another URL, a secret long enough for HS512).
 */
export function placeholderEnv(code: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const match of code.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    const name = match[1] as string
    if (env[name] !== undefined) continue
    if (name.includes('REDIS')) out[name] = 'redis://127.0.0.1:6379'
    else if (/(URL|URI)$/.test(name)) out[name] = 'https://auth.example.com'
    else out[name] = 'docs-placeholder-'.padEnd(64, 'x')
  }
  return out
}

export interface ConfigResult {
  ok: boolean
  output: string
}

/**
 * Runs `node apps/gateway/dist/cli.js validate <file>` on the block, written to a scratch file
 * with the block's own extension.
 */
export function validateConfig(
  root: string,
  yaml: Yaml,
  kind: 'yaml' | 'json',
  code: string,
  value: Record<string, unknown>,
): Promise<ConfigResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mcpx-docs-config-'))
  const file = join(dir, `block.${kind}`)
  let text = code
  if (configKind(value) === 'fragment') {
    const whole = { ...value, upstreams: STUB_UPSTREAMS }
    text = kind === 'json' ? JSON.stringify(whole, null, 2) : yaml.stringify(whole)
  }
  writeFileSync(file, text)
  const env = { ...process.env, ...placeholderEnv(code, process.env), NO_COLOR: '1' }
  const cli = join(root, 'apps/gateway/dist/cli.js')
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, 'validate', file],
      { env, timeout: 20_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true })
        const output = `${stdout}${stderr}`.replaceAll(file, '<block>').trim()
        resolve({ ok: !error, output })
      },
    )
  })
}

/** `fn` over `items`, at most `limit` at once, results in order. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
