import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SseDecoder, type SseEvent, WireFault } from './sse-decoder.js'

const encoder = new TextEncoder()

/** Decode text chunks (split anywhere, even inside a UTF-8 sequence, when given as bytes). */
function decode(chunks: (string | Uint8Array)[], max?: number) {
  const events: SseEvent[] = []
  const decoder = new SseDecoder((event) => events.push(event), max)
  let invalid: string | undefined
  try {
    for (const chunk of chunks)
      decoder.push(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
  } catch (error) {
    if (!(error instanceof WireFault)) throw error
    invalid = error.message
  }
  return { events, invalid, decoder }
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
    const bytes = encoder.encode(stream)
    const whole = decode([bytes]).events
    expect(whole).toHaveLength(3)
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 12 }),
        (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b)
          const chunks: Uint8Array[] = []
          let start = 0
          for (const point of points) {
            chunks.push(bytes.slice(start, point))
            start = point
          }
          chunks.push(bytes.slice(start))
          expect(decode(chunks).events).toEqual(whole)
        },
      ),
    )
  })

  it('yields the same events when a chunk splits a multi-byte character', () => {
    const bytes = encoder.encode('data: é€😀\n\n')
    for (let cut = 1; cut < bytes.length; cut++) {
      const { events } = decode([bytes.subarray(0, cut), bytes.subarray(cut)])
      expect(events.map((e) => e.data)).toEqual(['é€😀'])
    }
  })

  it('keeps the last event id and retry for resumption, and the priming event is not dispatched', () => {
    const { events, decoder } = decode(['id: 1\ndata: x\n\nid: 2\nretry: 30\ndata:\n\n'])
    expect(events.map((e) => e.data)).toEqual(['x'])
    expect([decoder.lastEventId, decoder.retry]).toEqual(['2', 30])
  })

  it('throws on an event whose data exceeds the limit in bytes', () => {
    const { events, invalid } = decode(['data: 0123456789\ndata: 0123456789\n\n'], 16)
    expect(invalid).toBe('sent an SSE event larger than 16 bytes')
    expect(events).toEqual([])
  })

  it('counts the limit in bytes, not characters', () => {
    // 6 characters, 24 bytes of UTF-8.
    expect(decode(['data: 😀😀😀😀😀😀\n\n'], 20).invalid).toBe(
      'sent an SSE event larger than 20 bytes',
    )
  })

  it('throws on an unfinished line that exceeds the limit without buffering it', () => {
    const { invalid } = decode(['data: ', 'x'.repeat(10), 'x'.repeat(10)], 16)
    expect(invalid).toBe('sent an SSE line longer than 16 bytes')
  })
})
