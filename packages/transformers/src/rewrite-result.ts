import { utf8Length } from './rewrite-rules.js'

type Json = Record<string, unknown>
type Block = { type?: unknown; text?: unknown }

const encoder = new TextEncoder()

/**
 * A `tools/call` result within `max` bytes of JSON: the result itself when
 * it fits; else, with `'truncate'`, its text content cut where the bytes run
 * out (the cut block ends in `marker`, the text blocks after it are dropped;
 * other blocks and `structuredContent` are kept whole); else, or when even
 * that does not fit, an `isError` result saying how large it was. A tool
 * error belongs in the result (MCP Tools §Error Handling): the model sees it.
 * Copy on write: `result` is never changed.
 */
export function limitResult(
  result: Json,
  max: number,
  mode: 'truncate' | 'error',
  marker: string,
): Json {
  // A task's handle (CreateTaskResult) is not a tool's output: its result comes through tasks/result.
  if (!Array.isArray(result.content)) return result
  const size = utf8Length(JSON.stringify(result))
  if (size <= max) return result
  if (mode === 'error') return tooLarge(size, max)
  const content = result.content as Block[]
  const isText = (block: Block) => block?.type === 'text' && typeof block.text === 'string'
  const emptied = { ...result, content: content.map((b) => (isText(b) ? { ...b, text: '' } : b)) }
  let budget = max - utf8Length(JSON.stringify(emptied)) - escapedLength(marker)
  if (budget < 0) return tooLarge(size, max)
  const kept: Block[] = []
  let cut = false
  for (const block of content) {
    if (!isText(block)) {
      kept.push(block)
      continue
    }
    if (cut) continue
    const text = block.text as string
    const length = escapedLength(text)
    if (length <= budget) {
      kept.push(block)
      budget -= length
      continue
    }
    kept.push({ ...block, text: prefix(text, budget) + marker })
    cut = true
  }
  const limited = { ...result, content: kept }
  return utf8Length(JSON.stringify(limited)) <= max ? limited : tooLarge(size, max)
}

/** The longest start of `text` whose JSON string form (quotes aside) takes at most `bytes`. */
function prefix(text: string, bytes: number): string {
  let limit = bytes
  let cut = ''
  // encodeInto never splits a character; escapes (\n, \") make the JSON form longer: shrink by the excess.
  for (let i = 0; i < 8 && limit > 0; i++) {
    const { read } = encoder.encodeInto(text, new Uint8Array(limit))
    cut = text.slice(0, read)
    const over = escapedLength(cut) - bytes
    if (over <= 0) return cut
    limit -= over
  }
  return ''
}

function escapedLength(text: string): number {
  return utf8Length(JSON.stringify(text)) - 2
}

function tooLarge(size: number, max: number): Json {
  return {
    content: [
      {
        type: 'text',
        text: `The result is too large: ${size} bytes, over the gateway's limit of ${max}.`,
      },
    ],
    isError: true,
  }
}
