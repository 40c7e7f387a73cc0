import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'scripts'],
    // Vitest's default is one worker fewer than the CPUs: one on a 2-core machine, where the
    // suite (mostly waiting on child processes and sockets) then runs file after file. Two
    // workers there took the suite from 1,309 s to 785 s; more CPUs keep the default.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
})
