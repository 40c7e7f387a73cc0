import { defineProject } from 'vitest/config'

// The repo's own tooling: the conformance gate and the README code-block check.
export default defineProject({
  test: {
    name: 'scripts',
    include: ['**/*.test.mjs'],
  },
})
