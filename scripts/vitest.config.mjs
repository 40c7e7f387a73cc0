import { defineProject } from 'vitest/config'

// The repo's own tooling: the conformance gate and the README and docs code-block checks.
export default defineProject({
  test: {
    name: 'scripts',
    include: ['**/*.test.mjs', '**/*.test.ts'],
  },
})
