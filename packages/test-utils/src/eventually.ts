/**
 * Wait until `check` returns true, polling every `intervalMs` (10 ms); throws after `ms`.
 *
 * @example
 * ```ts
 * await eventually(() => notifications.length === 1)
 * ```
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
