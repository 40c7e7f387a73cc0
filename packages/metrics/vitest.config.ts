import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'metrics',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    // The promtool setup may install Debian's prometheus package first.
    hookTimeout: 660_000,
  },
})
