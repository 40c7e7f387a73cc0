declare const __MCPX_VERSION__: string | undefined

/** This package's version (set at build time). */
export const VERSION: string = typeof __MCPX_VERSION__ === 'string' ? __MCPX_VERSION__ : '0.0.0-dev'

/** MCP protocol versions mcpx speaks, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
]

export const LATEST_PROTOCOL_VERSION = '2025-11-25'

/** The `clientInfo`/`serverInfo` mcpx sends when it speaks for itself. */
export const GATEWAY_INFO: { name: string; version: string } = { name: 'mcpx', version: VERSION }
