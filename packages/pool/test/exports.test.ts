import { expect, it } from 'vitest'
import * as root from '../src/index.js'

it('exports exactly the public API', () => {
  expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
    [
      "Pool",
      "createSupervisor",
      "pool",
      "poolModeDefaults",
      "poolOptionKeys",
      "poolStatsSource",
      "reportHealth",
    ]
  `)
})
