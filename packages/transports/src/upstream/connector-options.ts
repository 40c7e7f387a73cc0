/** Option checks the upstream connectors share, so one option means one thing everywhere. */

/** Headers for one HTTP request, lower-case names, protocol headers already removed. */
export type HeaderSource = () => Record<string, string> | Promise<Record<string, string>>

/**
 * `maxMessageBytes`: the largest message the server may send, in bytes
 * (UTF-8 on the wire, never UTF-16 units), a positive integer.
 */
export function maxMessageBytesOption(
  factory: string,
  value: number | undefined,
  fallback: number,
): number {
  const bytes = value ?? fallback
  if (!Number.isInteger(bytes) || bytes <= 0) {
    throw new TypeError(
      `[@mcpx/transports] ${factory}(): maxMessageBytes must be a positive integer`,
    )
  }
  return bytes
}
