// Type-checks README code blocks as the user would run them: each block is one ES module in a
// scratch folder inside the workspace, importing the built `@mcpx/*` packages (their .d.ts in
// dist/) and their dependencies by name, compiled with the repo's strict tsconfig.base.json.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'

/**
 * @typedef {import('./extract.mjs').CodeBlock} CodeBlock
 * @typedef {{ readme: string, blocks: CodeBlock[] }} ReadmeBlocks  readme: relative to the root
 * @typedef {{ readme: string, index: number, line: number, errors: string[] }} BlockResult
 */

/** The workspace's package folders: the root, then `packages/*` and `apps/*`. */
function workspaceDirs(/** @type {string} */ root) {
  const dirs = [root]
  for (const group of ['packages', 'apps']) {
    const parent = join(root, group)
    if (!existsSync(parent)) continue
    for (const name of readdirSync(parent).sort()) {
      if (existsSync(join(parent, name, 'package.json'))) dirs.push(join(parent, name))
    }
  }
  return dirs
}

/**
 * A `node_modules` for the scratch folder: every workspace package by its name, then every
 * dependency any workspace package has installed (the SDK, zod, ws, @types/*), first found wins.
 * With pnpm's strict layout nothing else would resolve from outside a package.
 * @param {string} root
 * @param {string} nodeModules
 */
function linkModules(root, nodeModules) {
  /** @type {Map<string, string>} */
  const links = new Map()
  const dirs = workspaceDirs(root)
  for (const dir of dirs.slice(1)) {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    if (name) links.set(name, dir)
  }
  for (const dir of dirs) {
    const modules = join(dir, 'node_modules')
    if (!existsSync(modules)) continue
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue
      const names = entry.startsWith('@')
        ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`)
        : [entry]
      for (const name of names) {
        if (!links.has(name)) links.set(name, realpathSync(join(modules, name)))
      }
    }
  }
  for (const [name, target] of links) {
    mkdirSync(dirname(join(nodeModules, name)), { recursive: true })
    symlinkSync(target, join(nodeModules, name), 'dir')
  }
}

/** tsconfig.base.json, as a program for checking only. */
function compilerOptions(/** @type {string} */ root, /** @type {string} */ dir) {
  const base = join(root, 'tsconfig.base.json')
  const { config, error } = ts.readConfigFile(base, ts.sys.readFile)
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dir, undefined, base)
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // Every block is a module of its own, even one without imports.
    moduleDetection: ts.ModuleDetectionKind.Force,
    typeRoots: [join(dir, 'node_modules', '@types')],
  }
}

/**
 * Compiles every block; each result lists its errors as `README line N: TSxxxx: message`.
 * @param {string} root  the workspace root
 * @param {ReadmeBlocks[]} readmes
 * @returns {BlockResult[]}
 */
export function checkBlocks(root, readmes) {
  const cache = join(root, 'node_modules', '.cache')
  mkdirSync(cache, { recursive: true })
  const dir = mkdtempSync(join(cache, 'readme-blocks-'))
  try {
    linkModules(root, join(dir, 'node_modules'))
    writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n')
    /** @type {Map<string, { result: BlockResult, block: CodeBlock }>} */
    const byFile = new Map()
    for (const { readme, blocks } of readmes) {
      const slug = readme.replace(/[^\w]+/g, '_')
      for (const block of blocks) {
        const file = join(dir, `${slug}.block${block.index}.ts`)
        writeFileSync(file, `${block.code}\n`)
        byFile.set(file, {
          block,
          result: { readme, index: block.index, line: block.line, errors: [] },
        })
      }
    }
    const program = ts.createProgram([...byFile.keys()], compilerOptions(root, dir))
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
      const entry = d.file && byFile.get(d.file.fileName)
      if (!entry) {
        // A global problem (options, a library's types): every block shares it.
        for (const { result } of byFile.values()) result.errors.push(`TS${d.code}: ${message}`)
        continue
      }
      const { line } = ts.getLineAndCharacterOfPosition(d.file, d.start ?? 0)
      entry.result.errors.push(`README line ${entry.block.line + line}: TS${d.code}: ${message}`)
    }
    return [...byFile.values()].map(({ result }) => result)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The READMEs whose blocks are checked: the root one, `packages/*` and `apps/*`.
 * @param {string} root
 * @returns {string[]} relative paths
 */
export function readmePaths(root) {
  return workspaceDirs(root)
    .map((dir) => join(dir, 'README.md'))
    .filter((path) => existsSync(path))
    .map((path) => relative(root, path))
}
