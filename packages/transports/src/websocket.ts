// The `@mcpx/transports/websocket` entry: both ends of MCP over WebSocket (needs `ws`).
export { createWebSocketHandler, type WebSocketHandlerOptions } from './downstream/websocket.js'
export { WEBSOCKET_SUBPROTOCOL } from './protocol/websocket.js'
export { type WebSocketOptions, websocket } from './upstream/websocket.js'
