import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileGlob } from './glob.js'

describe('compileGlob()', () => {
  it.each([
    ['admin_*', 'admin_drop', true],
    ['admin_*', 'math_add', false],
    ['admin_*', 'admin_a/b', false],
    ['*_admin', 'db_admin', true],
    ['data://reports/*', 'data://reports/q1', true],
    ['data://reports/*', 'data://reports/2024/q1', false],
    ['data://reports/**', 'data://reports/2024/q1', true],
    ['tool_?', 'tool_a', true],
    ['tool_?', 'tool_ab', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a.b', 'axb', false],
    ['exact', 'exact', true],
    ['a-b_*', 'a-b_c', true],
    ['(x)|[y]{1}+$^_*', '(x)|[y]{1}+$^_z', true],
    ['exact', 'exactly', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(compileGlob(pattern)(name)).toBe(expected)
  })

  it('matches every literal name against itself, regex characters included', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (name) => {
        const escaped = name.replace(/[*?\\]/g, '\\$&')
        return compileGlob(escaped)(name)
      }),
    )
  })

  it('`**` matches every name', () => {
    fc.assert(fc.property(fc.string(), (name) => compileGlob('**')(name)))
  })

  it('throws a TypeError for an empty, over-long or lone-backslash pattern', () => {
    expect(() => compileGlob('')).toThrow(TypeError)
    expect(() => compileGlob('a'.repeat(1025))).toThrow(TypeError)
    expect(() => compileGlob('a\\')).toThrow(TypeError)
  })
})
