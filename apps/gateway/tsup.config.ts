import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/cli.ts', 'src/config-schema.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
})
