import { describe, expect, it } from 'vitest'
import { limitResult } from './rewrite-result.js'
import { compileRules } from './rewrite-rules.js'

describe('compileRules', () => {
  it('lets through what allow matches and deny does not', () => {
    const rules = compileRules('', { allow: ['search_*', 'get'], deny: ['search_admin'] })
    expect(['search_a', 'get', 'search_admin', 'put'].filter(rules.visible)).toEqual([
      'search_a',
      'get',
    ])
  })

  it('lets an annotation MCP does not define through as it is (an upstream extension)', () => {
    expect(() =>
      compileRules('', { annotations: { a: { constructor: 1, 'x-team': 'search' } } } as never),
    ).not.toThrow()
  })

  it("maps a renamed tool's name back, and refuses the upstream's own name of it", () => {
    const rules = compileRules('', { rename: { old_name: 'new_name' } })
    expect(rules.exposed('old_name')).toBe('new_name')
    expect(rules.original('new_name')).toBe('old_name')
    expect(rules.original('old_name')).toBeUndefined()
    expect(rules.original('other')).toBe('other')
  })

  it('hides the upstream tool whose name a rename takes, unless it is renamed too (a swap)', () => {
    const taken = compileRules('', { rename: { a: 'b' } })
    expect(taken.shadowed('b')).toBe(true)
    expect(taken.original('b')).toBe('a')
    const swap = compileRules('', { rename: { a: 'b', b: 'a' } })
    expect(swap.shadowed('a') || swap.shadowed('b')).toBe(false)
    expect([swap.original('a'), swap.original('b')]).toEqual(['b', 'a'])
  })

  it.each([
    [
      { rename: { a: 'x', b: 'x' } },
      'rename must be one name per tool: "a" and "b" are both renamed "x"',
    ],
    [
      { deny: ['secret_*'], rename: { a: 'secret_a' } },
      'rename.a must be a name allow and deny let through',
    ],
    [{ allow: ['a'], rename: { a: 'b' } }, 'rename.a must be a name allow and deny let through'],
    [
      { deny: ['a'], descriptions: { a: 'x' } },
      'descriptions.a must be about a tool allow and deny let through',
    ],
    [
      { deny: ['a'], inject: { a: { k: 1 } } },
      'inject.a must be about a tool allow and deny let through',
    ],
    [{ rename: { a: 'has space' } }, 'rename.a must be a tool name'],
    [{ inject: { a: {} } }, 'inject.a must be at least one argument'],
    [{ maxResultBytes: 10 }, 'maxResultBytes must be an integer ≥ 64'],
    [
      { maxResultBytes: 64, truncationMarker: 'x'.repeat(40) },
      'truncationMarker must be at most half',
    ],
    [{ onOversize: 'drop' }, "onOversize must be 'truncate' or 'error'"],
    [{ allow: 'a' }, 'allow must be an array of globs'],
    [{ denied: ['a'] }, 'rewriteTools() options key "denied" must be one of'],
    [
      { annotations: { a: { readOnlyHint: 'yes' } } },
      'annotations.a.readOnlyHint must be a boolean',
    ],
    [{ annotations: { a: { title: 5 } } }, 'annotations.a.title must be a string'],
  ])('refuses conflicting or malformed rules at factory time: %j', (rules, message) => {
    expect(() => compileRules('', rules as never)).toThrow(message)
  })

  it('names the upstream in the path of a refused rule', () => {
    expect(() => compileRules('upstreams.crm', { rename: { a: 'x', b: 'x' } })).toThrow(
      '[@mcpx/transformers] upstreams.crm.rename must be one name per tool',
    )
  })
})

describe('limitResult', () => {
  const text = (t: string) => ({ type: 'text', text: t })
  const size = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length

  it('returns the result itself when it fits', () => {
    const result = { content: [text('short')] }
    expect(limitResult(result, 1000, 'truncate', '…')).toBe(result)
  })

  it('cuts the text where the bytes run out, ends it in the marker and drops later text blocks', () => {
    const image = { type: 'image', data: 'AAAA', mimeType: 'image/png' }
    const result = { content: [text('a'.repeat(300)), image, text('b'.repeat(300))] }
    const limited = limitResult(result, 200, 'truncate', '[cut]') as {
      content: { text?: string }[]
    }
    expect(size(limited)).toBeLessThanOrEqual(200)
    expect(limited.content).toHaveLength(2)
    expect(limited.content[0]!.text).toMatch(/^a+\[cut]$/)
    expect(limited.content[1]).toBe(image)
    expect((result.content[0] as { text: string }).text).toHaveLength(300) // copy on write
  })

  it('never splits a character and counts JSON escapes', () => {
    const result = { content: [text('é"\n😀'.repeat(100))] }
    const limited = limitResult(result, 128, 'truncate', '~') as { content: { text: string }[] }
    expect(size(limited)).toBeLessThanOrEqual(128)
    expect(limited.content[0]!.text.endsWith('~')).toBe(true)
    expect(limited.content[0]!.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
  })

  it("answers an isError result with 'error', or when what is not text is too large itself", () => {
    const big = { content: [text('x'.repeat(500))] }
    const error = limitResult(big, 100, 'error', '…') as {
      isError: boolean
      content: { text: string }[]
    }
    expect(error.isError).toBe(true)
    expect(error.content[0]!.text).toContain('too large')
    const structured = { content: [text('x')], structuredContent: { blob: 'y'.repeat(500) } }
    expect(limitResult(structured, 100, 'truncate', '…')).toMatchObject({ isError: true })
  })

  it("leaves a task's handle alone", () => {
    const task = { task: { taskId: 'x'.repeat(500), status: 'working' } }
    expect(limitResult(task, 100, 'error', '…')).toBe(task)
  })
})
