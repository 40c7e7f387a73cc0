/** The WebSocket subprotocol MCP uses (the SDK's `WebSocketClientTransport`); both ends offer or require it. */
export const WEBSOCKET_SUBPROTOCOL = 'mcp'
