import { extname } from 'node:path'
import { stringify } from 'yaml'
import { isObject } from './check.js'
import { DEFAULT_CONFIG } from './default-config.js'
import { ConfigFileError, readConfigSource } from './load-config.js'
import { checkConfigFile } from './validate-command.js'

/**
 * Keys whose value is a secret wherever they appear: JWT secrets, bearer
 * tokens, client secrets, the router's cursor key, passwords. Not here: a
 * JWT `key` (a public key, as the check insists), `sha256` digests (what a
 * config stores instead of a secret), a balancing strategy's hash `key`.
 */
const SECRET_KEY =
  /^(?:secret|token|password|passwd|cursorKey|clientSecret|privateKey|accessToken|refreshToken)$|secret|password|token$/i
/** Maps every value of which is treated as a secret: headers sent upstream, env of stdio children. */
const SECRET_MAPS = new Set(['headers', 'env'])
/** A URL query parameter that carries a secret (`?token=`, `?api_key=`). */
const SECRET_PARAM = /token|key|secret|password|passwd|auth|sig/i

/**
 * The masks are distinct (a list of tokens must stay a list of different
 * tokens) and 64 bytes long, so that the masked config still validates
 * (HS512 needs a 64-byte secret, the cursor key 16 characters).
 */
function maskMaker(): () => string {
  let count = 0
  return () => `masked-${++count}-`.padEnd(64, '*')
}

/** `value` with every secret replaced by a mask; decided by key names and URL passwords. */
export function maskSecrets(value: unknown): unknown {
  const mask = maskMaker()
  // `names`: the keys from the top down to `item`, `[]` standing for a list's entry.
  const walk = (item: unknown, names: readonly string[]): unknown => {
    if (isSecret(names) && (typeof item === 'string' || typeof item === 'number')) return mask()
    if (typeof item === 'string') return maskUrl(item, mask)
    if (Array.isArray(item)) return item.map((entry) => walk(entry, [...names, '[]']))
    if (!isObject(item)) return item
    return Object.fromEntries(
      Object.entries(item).map(([name, entry]) => [name, walk(entry, [...names, name])]),
    )
  }
  return walk(value, [])
}

function isSecret(names: readonly string[]): boolean {
  const [key, parent, grandparent] = names.slice(-3).reverse()
  if (key === undefined) return false
  if (SECRET_KEY.test(key) || SECRET_MAPS.has(parent ?? '')) return true
  // An API key: `auth.apiKey.keys[i].key`.
  return key === 'key' && parent === '[]' && grandparent === 'keys' && names[0] === 'auth'
}

/** A URL's password and secret-looking query parameters masked (a Redis URL's password). */
function maskUrl(text: string, mask: () => string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return text
  }
  let changed = false
  if (url.password !== '') {
    url.password = mask()
    changed = true
  }
  if (url.username !== '' && url.password === '') {
    // `redis://secret@host`: a lone user part is how some clients take a password.
    url.username = mask()
    changed = true
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) {
      url.searchParams.set(name, mask())
      changed = true
    }
  }
  return changed ? url.toString() : text
}

/**
 * `mcpx-gateway print-config [FILE]`: the config the gateway would run (the
 * file after `${VAR}` interpolation, or the embedded default), every secret
 * masked, as YAML (JSON for a `.json` file) on stdout. A config with a
 * problem is not printed: its problems are, as `validate` prints them.
 */
export async function printConfigCommand(file: string | undefined): Promise<number> {
  let value: unknown = DEFAULT_CONFIG
  if (file !== undefined) {
    const checked = await checkConfigFile(file)
    if (!checked.ok) {
      process.stderr.write(`${checked.problems.join('\n')}\n`)
      return 2
    }
    try {
      value = (await readConfigSource(file)).value
    } catch (error) {
      // The file changed between the two reads.
      if (error instanceof ConfigFileError) {
        process.stderr.write(`${error.problems.join('\n')}\n`)
        return 2
      }
      throw error
    }
  }
  const masked = maskSecrets(value)
  const json = file !== undefined && extname(file).toLowerCase() === '.json'
  process.stdout.write(json ? `${JSON.stringify(masked, null, 2)}\n` : stringify(masked))
  return 0
}
