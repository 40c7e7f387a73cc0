// @mcpx/transformers/node: what needs Node's file system (a pin lock file).

import { readFile, rename, writeFile } from 'node:fs/promises'
import { checkPinLock, lockHashes, lockOf, type PinEntry, type PinLock } from './pin-store.js'

export type { PinLock } from './pin-store.js'

/**
 * Read and check a pin lock file (JSON, as {@link writePinLock} writes it),
 * for `pinTools({ lock })`. A malformed one is a TypeError naming the
 * file and what is wrong: a gateway must not start with a lock it cannot use.
 *
 * @example
 * ```ts
 * const pins = pinTools({ lock: await readPinLock('mcpx.lock.json') })
 * ```
 */
export async function readPinLock(path: string): Promise<PinLock> {
  const text = await readFile(path, 'utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new TypeError(`[@mcpx/transformers] ${path} is not JSON`, { cause: error })
  }
  return checkPinLock(parsed, path)
}

/**
 * Write `lock` (from `pins.lock()`) to `path`: sorted, two-space JSON with
 * a final newline, so that a change reads well in review; written to a
 * temporary file first and renamed over `path`, so that a reader never sees
 * half of it.
 *
 * @example
 * ```ts
 * await writePinLock('mcpx.lock.json', await pins.lock())
 * ```
 */
export async function writePinLock(path: string, lock: PinLock): Promise<void> {
  const entries: PinEntry[] = []
  for (const [upstream, tools] of lockHashes(checkPinLock(lock))) {
    for (const [tool, hash] of tools) entries.push({ upstream, tool, record: { hash } })
  }
  const sorted = lockOf(entries)
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`
  await writeFile(temporary, `${JSON.stringify(sorted, null, 2)}\n`, 'utf8')
  await rename(temporary, path)
}
