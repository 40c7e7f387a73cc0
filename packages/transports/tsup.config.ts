import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

const { version } = JSON.parse(readFileSync('./package.json', 'utf8'))

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/node.ts',
    'src/protocol.ts',
    'src/redis.ts',
    'src/stdio.ts',
    'src/websocket.ts',
  ],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  define: { __MCPX_VERSION__: JSON.stringify(version) },
})
