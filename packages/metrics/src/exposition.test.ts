import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseExposition } from '../test/parse-exposition.js'
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  header,
  labelPairs,
  sample,
} from './exposition.js'

describe('escapeLabelValue', () => {
  it('escapes backslash, double quote and line feed, and nothing else', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
    expect(escapeLabelValue('tab\there\r, ünïcödé ☃ {x="y"}')).toBe(
      'tab\there\r, ünïcödé ☃ {x=\\"y\\"}',
    )
  })

  it('returns the same string when there is nothing to escape', () => {
    const value = 'tools/call'
    expect(escapeLabelValue(value)).toBe(value)
  })

  it('escapes any string so that the text format reads it back unchanged (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string(), (value, other) => {
        const pairs = labelPairs(['tool', 'client'], [value, other])
        const text = header('x_total', 'X.', 'counter') + sample('x_total', pairs, 1)
        // One line per sample: no raw line feed survives.
        expect(text.split('\n')).toHaveLength(4)
        const [family] = parseExposition(text)
        expect(family?.samples[0]?.labels).toEqual({ tool: value, client: other })
      }),
      { numRuns: 2000 },
    )
  })
})

describe('escapeHelp', () => {
  it('escapes backslash and line feed', () => {
    expect(escapeHelp('a\\b\nc "d"')).toBe('a\\\\b\\nc "d"')
  })
})

describe('formatValue', () => {
  it('writes what the text format reads', () => {
    expect(
      [0, 3, -2.5, 1e-7, 0.000025, 1e21, Infinity, -Infinity, Number.NaN].map(formatValue),
    ).toEqual(['0', '3', '-2.5', '1e-7', '0.000025', '1e+21', '+Inf', '-Inf', 'NaN'])
  })
})

describe('sample', () => {
  it('writes a sample with and without labels', () => {
    expect(sample('up', '', 1)).toBe('up 1\n')
    expect(sample('x_total', 'a="1"', 2)).toBe('x_total{a="1"} 2\n')
  })
})
