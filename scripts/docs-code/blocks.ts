// Every fenced code block of a Markdown file, with its language and the `<!-- not-checked: … -->`
// note on the line above its fence, if any. Pure: text in, blocks out.

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

/**
 * Fences are ``` or ~~~ (three or more), indented up to three spaces, as CommonMark has them; a
 * block closes at the first fence of the same character at least as long, or at the end of the
 * file.
 */
export function extractBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split(/\r?\n/)
  const blocks: DocBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i] ?? '')
    if (!open) continue
    const fence = open[1] ?? '```'
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const line = lines[j] ?? ''
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line)
      if (close?.[1]?.[0] === fence[0] && (close[1]?.length ?? 0) >= fence.length) break
      body.push(line)
    }
    const block: DocBlock = {
      lang: (open[2] ?? '').toLowerCase(),
      line: i + 2,
      code: body.join('\n'),
    }
    const note = NOT_CHECKED.exec(lines[i - 1] ?? '')
    if (note) block.notChecked = (note[1] ?? '').trim()
    blocks.push(block)
    i = j
  }
  return blocks
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
