import { fileURLToPath } from 'node:url'

/**
 * Absolute path of a built fixture entry point, for tests that spawn it as a real child
 * process (`node <path>`). Resolves next to this module, i.e. inside `dist/`.
 */
export function conformanceBinPath(kind: 'stdio' | 'http'): string {
  return fileURLToPath(new URL(`./bin/conformance-${kind}.js`, import.meta.url))
}

/** Absolute path of the built end-to-end fixture (`e2e-stdio.js` or `e2e-http.js`). */
export function e2eBinPath(kind: 'stdio' | 'http'): string {
  return fileURLToPath(new URL(`./bin/e2e-${kind}.js`, import.meta.url))
}

/** Absolute path of the built catalog fixture (`catalog-stdio.js` or `catalog-http.js`). */
export function catalogBinPath(kind: 'stdio' | 'http'): string {
  return fileURLToPath(new URL(`./bin/catalog-${kind}.js`, import.meta.url))
}

/** Absolute path of the built fault-injecting fixture (`faulty-stdio.js` or `faulty-http.js`). */
export function faultyBinPath(kind: 'stdio' | 'http'): string {
  return fileURLToPath(new URL(`./bin/faulty-${kind}.js`, import.meta.url))
}

/** Absolute path of the built minimal stateful stdio server (no SDK: it boots fast). */
export function statefulStdioBinPath(): string {
  return fileURLToPath(new URL('./bin/stateful-stdio.js', import.meta.url))
}
