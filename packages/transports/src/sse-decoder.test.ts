import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SseDecoder, type SseEvent } from './sse-decoder.js'

function decode(chunks: string[], max?: number): { events: SseEvent[]; invalid: string[] } {
  const events: SseEvent[] = []
  const invalid: string[] = []
  const decoder = new SseDecoder(
    (event) => events.push(event),
    (reason) => invalid.push(reason),
    max,
  )
  for (const chunk of chunks) decoder.push(chunk)
  return { events, invalid }
}

describe('SseDecoder', () => {
  it('dispatches an event at a blank line, with its type and data', () => {
    const { events } = decode(['event: endpoint\ndata: /messages?sessionId=abc\n\n'])
    expect(events).toEqual([{ event: 'endpoint', data: '/messages?sessionId=abc', id: undefined }])
  })

  it('names an event without an event field "message"', () => {
    expect(decode(['data: {}\n\n']).events[0]?.event).toBe('message')
  })

  it('joins several data lines with newlines', () => {
    expect(decode(['data: a\ndata:b\ndata:  c\n\n']).events[0]?.data).toBe('a\nb\n c')
  })

  it('ignores comments, unknown fields and events without data', () => {
    const { events } = decode([
      ': keep-alive\n\nretry: 10\nfoo: bar\n\nevent: empty\n\ndata: x\n\n',
    ])
    expect(events.map((e) => e.data)).toEqual(['x'])
  })

  it('keeps the last id for later events', () => {
    const { events } = decode(['id: 7\ndata: a\n\ndata: b\n\n'])
    expect(events.map((e) => e.id)).toEqual(['7', '7'])
  })

  it('accepts CRLF and CR line endings, even when a CRLF is split across chunks', () => {
    const { events } = decode(['data: a\r', '\n\r', '\ndata: b\r\rdata: c\r\n\r\n'])
    expect(events.map((e) => e.data)).toEqual(['a', 'b', 'c'])
  })

  it('yields the same events however the stream is chunked', () => {
    const stream =
      'event: endpoint\r\ndata: /m?s=1\r\n\r\n: ping\n\ndata: {"a":1}\ndata: {"b":2}\r\r' +
      'data: é€😀\n\n'
    const whole = decode([stream]).events
    expect(whole).toHaveLength(3)
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }),
        (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b)
          const chunks: string[] = []
          let start = 0
          for (const point of points) {
            chunks.push(stream.slice(start, point))
            start = point
          }
          chunks.push(stream.slice(start))
          expect(decode(chunks).events).toEqual(whole)
        },
      ),
    )
  })

  it('gives up on an event whose data exceeds the limit, and stays stopped', () => {
    const { events, invalid } = decode(
      ['data: 0123456789\ndata: 0123456789\n\n', 'data: ok\n\n'],
      16,
    )
    expect(invalid).toEqual(['an event exceeded 16 characters'])
    expect(events).toEqual([])
  })

  it('gives up on an unfinished line that exceeds the limit without buffering it', () => {
    const { invalid } = decode(['data: ', 'x'.repeat(10), 'x'.repeat(10)], 16)
    expect(invalid).toEqual(['a line exceeded 16 characters'])
  })
})
