/**
 * `timer`, `unref`'d where the runtime has it (Node, Bun, Deno's compat):
 * a pool that is not closed must not keep a process alive on its own
 * (STYLE: Avoid). Returns the timer for `const t = unref(setTimeout(…))`.
 */
export function unref<T>(timer: T): T {
  const handle = timer as { unref?: () => void }
  if (typeof handle === 'object' && handle !== null && typeof handle.unref === 'function') {
    handle.unref()
  }
  return timer
}
