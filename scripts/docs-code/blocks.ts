// Every fenced code block of a Markdown file, with its language and the `<!-- not-checked: … -->`
// note on the line above its fence, if any. Pure: text in, blocks out.
import { extractFences } from '../readme-blocks/extract.mjs'

export interface DocBlock {
  /** the fence's info string, first word, lower case ('' when none) */
  lang: string
  /** 1-based line of the first code line (after the fence) */
  line: number
  code: string
  /** the reason of a `<!-- not-checked: reason -->` right above the fence; '' when it gives none */
  notChecked?: string
}

const NOT_CHECKED = /^\s*<!--\s*not-checked:?(.*?)-->\s*$/

/** Every fenced block (as the README check reads them), with the note above its fence. */
export function extractBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split(/\r?\n/)
  return extractFences(markdown).map(({ lang, fence, line, code }) => {
    const block: DocBlock = { lang, line, code }
    const note = NOT_CHECKED.exec(lines[fence - 1] ?? '')
    if (note) block.notChecked = (note[1] ?? '').trim()
    return block
  })
}

/** What a fence language asks of the check. */
export type BlockKind = 'ts' | 'yaml' | 'json' | 'sh' | 'text' | 'unknown'

const KINDS: Record<string, BlockKind> = {
  ts: 'ts',
  typescript: 'ts',
  mts: 'ts',
  yaml: 'yaml',
  yml: 'yaml',
  json: 'json',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  // Not code: output, diagrams, transcripts. Nothing to run or compile.
  text: 'text',
  '': 'text',
  txt: 'text',
  mermaid: 'text',
}

export function kindOf(lang: string): BlockKind {
  return KINDS[lang] ?? 'unknown'
}
