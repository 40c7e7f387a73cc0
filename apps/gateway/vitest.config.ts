import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'gateway',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The tests read the gateway's stderr as text lines, through a pipe (where auto would be
    // JSON); test/cli-logging.test.ts unsets it to test the default.
    env: { MCPX_LOG_FORMAT: 'text' },
  },
})
