import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'server-path': 'src/server-path.ts',
    'bin/example-server': 'src/bin/example-server.ts',
    // The runnable examples, one file each at the top of dist (`pnpm example:<name>`).
    'custom-middleware': 'src/custom-middleware/main.ts',
    'embed-in-existing-server': 'src/embed-in-existing-server/main.ts',
    'multi-replica': 'src/multi-replica/main.ts',
    'multi-upstream': 'src/multi-upstream/main.ts',
    'bin/math-replica': 'src/bin/math-replica.ts',
    observability: 'src/observability/main.ts',
  },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'server-path': 'src/server-path.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
})
