import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    tokens: 'src/tokens.ts',
    redis: 'src/redis.ts',
    'redis-topologies': 'src/redis-topologies.ts',
    'bin/conformance-stdio': 'src/bin/conformance-stdio.ts',
    'bin/conformance-http': 'src/bin/conformance-http.ts',
    'bin/e2e-stdio': 'src/bin/e2e-stdio.ts',
    'bin/e2e-http': 'src/bin/e2e-http.ts',
    'bin/catalog-stdio': 'src/bin/catalog-stdio.ts',
    'bin/catalog-http': 'src/bin/catalog-http.ts',
    'bin/faulty-stdio': 'src/bin/faulty-stdio.ts',
    'bin/faulty-http': 'src/bin/faulty-http.ts',
    'bin/stateful-stdio': 'src/bin/stateful-stdio.ts',
  },
  format: ['esm'],
  dts: {
    entry: {
      index: 'src/index.ts',
      tokens: 'src/tokens.ts',
      redis: 'src/redis.ts',
      'redis-topologies': 'src/redis-topologies.ts',
    },
  },
  sourcemap: true,
  clean: true,
  target: 'node20',
})
