/**
 * How every fixture bin stops: on SIGINT, SIGTERM or `also` (a stdio server's
 * stdin ending), once, closing the server and exiting 0 (1 if closing fails
 * or takes more than 5 s).
 */
export function exitOnStop(server: { close(): Promise<void> }, also?: NodeJS.ReadableStream): void {
  let closing = false
  const shutdown = () => {
    if (closing) return
    closing = true
    const timer = setTimeout(() => process.exit(1), 5000)
    timer.unref()
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  // The parent closing our stdin is the normal way a stdio server is told to stop.
  also?.on('end', shutdown)
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}
