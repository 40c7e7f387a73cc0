// Writes apps/gateway/config.schema.json and docs/configuration.md from the config's zod
// schema, as built into dist/config-schema.js (`pnpm --filter @mcpx/gateway gen:config` builds
// first). test/config-docs.test.ts fails when the committed files differ from these.
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const { generatedConfigFiles } = await import('../dist/config-schema.js').catch((error) => {
  console.error(
    `gen-config-docs: cannot load dist/config-schema.js (build first): ${error.message}`,
  )
  process.exit(1)
})
for (const [path, text] of Object.entries(generatedConfigFiles())) {
  const file = join(root, path)
  const before = await readFile(file, 'utf8').catch(() => undefined)
  if (before === text) console.log(`${path}: up to date`)
  else {
    await writeFile(file, text)
    console.log(`${path}: written`)
  }
}
