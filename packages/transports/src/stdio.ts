// The `@mcpx/transports/stdio` entry: both ends of MCP over stdio.

export { type ServeStdioOptions, serveStdio } from './downstream/stdio.js'
export { DEFAULT_INHERITED_ENV, type StdioOptions, stdio } from './upstream/stdio.js'
