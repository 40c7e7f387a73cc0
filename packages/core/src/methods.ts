import type {
  CallToolResult,
  CancelTaskResult,
  ClientNotification,
  ClientRequest,
  CompleteResult,
  CreateMessageResult,
  ElicitResult,
  EmptyResult,
  GetPromptResult,
  GetTaskPayloadResult,
  GetTaskResult,
  InitializeResult,
  ListPromptsResult,
  ListResourcesResult,
  ListResourceTemplatesResult,
  ListRootsResult,
  ListTasksResult,
  ListToolsResult,
  ReadResourceResult,
  ServerNotification,
  ServerRequest,
} from '@modelcontextprotocol/sdk/types.js'

/** Every MCP request, in either direction, as the SDK types it. */
export type AnyRequest = ClientRequest | ServerRequest
/** Every MCP notification, in either direction, as the SDK types it. */
export type AnyNotification = ClientNotification | ServerNotification

/** The method names of MCP requests (client → server and server → client). */
export type RequestMethod = AnyRequest['method']
/** The method names of MCP notifications (both directions). */
export type NotificationMethod = AnyNotification['method']
/** Every MCP method name. */
export type Method = RequestMethod | NotificationMethod

/**
 * The result type of each MCP request method: the wire shape, exactly as the
 * SDK's schemas describe it.
 */
export interface ResultMap {
  initialize: InitializeResult
  ping: EmptyResult
  'tools/list': ListToolsResult
  'tools/call': CallToolResult
  'resources/list': ListResourcesResult
  'resources/templates/list': ListResourceTemplatesResult
  'resources/read': ReadResourceResult
  'resources/subscribe': EmptyResult
  'resources/unsubscribe': EmptyResult
  'prompts/list': ListPromptsResult
  'prompts/get': GetPromptResult
  'completion/complete': CompleteResult
  'logging/setLevel': EmptyResult
  'sampling/createMessage': CreateMessageResult
  'elicitation/create': ElicitResult
  'roots/list': ListRootsResult
  'tasks/get': GetTaskResult
  'tasks/result': GetTaskPayloadResult
  'tasks/list': ListTasksResult
  'tasks/cancel': CancelTaskResult
}

/** A JSON-RPC params object of a method mcpx has no type for. */
export type UnknownParams = Record<string, unknown> | undefined
/** A JSON-RPC result of a method mcpx has no type for. */
export type UnknownResult = Record<string, unknown>

/** The params type of method `M` (`UnknownParams` for methods outside MCP). */
export type ParamsOf<M extends string> = string extends M
  ? UnknownParams
  : M extends Method
    ? Extract<AnyRequest | AnyNotification, { method: M }>['params']
    : UnknownParams

/** The result type of request method `M` (`never` for notifications). */
export type ResultOf<M extends string> = string extends M
  ? UnknownResult
  : M extends keyof ResultMap
    ? ResultMap[M]
    : M extends NotificationMethod
      ? never
      : UnknownResult
