import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'server-path': 'src/server-path.ts',
    'bin/example-server': 'src/bin/example-server.ts',
  },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'server-path': 'src/server-path.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
})
