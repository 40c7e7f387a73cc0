// The ```ts blocks of a Markdown file. Pure: text in, blocks out.

/** Fence languages that mean "a complete TypeScript program"; any other fence is not checked. */
const TS_LANGS = new Set(['ts', 'typescript', 'mts'])

/**
 * @typedef {object} CodeBlock
 * @property {number} index  1-based among the file's TypeScript blocks
 * @property {number} line   1-based line of the first code line (after the fence)
 * @property {string} code
 */

/**
 * @typedef {object} Fence
 * @property {string} lang   the info string's first word, lower case ('' when none)
 * @property {number} fence  0-based line of the opening fence
 * @property {number} line   1-based line of the first code line (after the fence)
 * @property {string} code
 */

/**
 * Every fenced block, in order. Fences are ``` or ~~~ (three or more), optionally indented up to
 * three spaces, as CommonMark has them; a block closes at the first fence of the same character at
 * least as long, or at the end of the file.
 * @param {string} markdown
 * @returns {Fence[]}
 */
export function extractFences(markdown) {
  const lines = markdown.split(/\r?\n/)
  /** @type {Fence[]} */
  const fences = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i] ?? '')
    if (!open) continue
    const fence = open[1] ?? '```'
    const body = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const line = lines[j] ?? ''
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line)
      if (close?.[1]?.[0] === fence[0] && (close[1]?.length ?? 0) >= fence.length) break
      body.push(line)
    }
    fences.push({
      lang: (open[2] ?? '').toLowerCase(),
      fence: i,
      line: i + 2,
      code: body.join('\n'),
    })
    i = j
  }
  return fences
}

/**
 * Every fenced TypeScript block, in order (see {@link extractFences}).
 * @param {string} markdown
 * @returns {CodeBlock[]}
 */
export function extractTsBlocks(markdown) {
  return extractFences(markdown)
    .filter((fence) => TS_LANGS.has(fence.lang))
    .map((fence, i) => ({ index: i + 1, line: fence.line, code: fence.code }))
}
