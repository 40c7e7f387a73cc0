import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { expect, it } from 'vitest'

/** Every module the built root entry loads, following relative imports. */
function graph(entry: string): Map<string, string> {
  const seen = new Map<string, string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    const code = readFileSync(file, 'utf8')
    seen.set(file, code)
    for (const [, spec] of code.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
      if (spec!.startsWith('.')) visit(join(dirname(file), spec!))
    }
  }
  visit(entry)
  return seen
}

it.each(['index', 'protocol'])(
  'loads nothing from node: through the %s entry (it runs on any runtime with fetch)',
  (name) => {
    const entry = join(import.meta.dirname, `../dist/${name}.js`)
    expect(existsSync(entry), 'build the package first').toBe(true)
    const offenders = [...graph(entry)]
      .filter(([, code]) => /from\s*['"]node:|require\(['"]node:/.test(code))
      .map(([file]) => file)
    expect(offenders).toEqual([])
  },
)
