import { expect, it } from 'vitest'
import * as root from '../src/index.js'
import * as node from '../src/node.js'

it('exports exactly the public API', () => {
  expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
    [
      "accessLine",
      "accessLog",
      "createMetricsRegistry",
      "defaultDurationBuckets",
      "mcpMethods",
      "metrics",
      "outcomes",
      "prometheusContentType",
      "statFamilyName",
    ]
  `)
})

it('exports exactly the node:http handler from @mcpx/metrics/node', () => {
  expect(Object.keys(node).sort()).toMatchInlineSnapshot(`
    [
      "metricsHandler",
    ]
  `)
})
