import type { CollisionPolicy, Route, RouterOptions, UpstreamEntry } from '@mcpx/router'
import type { UpstreamMode } from '@mcpx/transports'
import type { FrontEnd } from './serve.js'

/** How an HTTP upstream is reached. */
export type UrlTransport = 'streamable-http' | 'sse' | 'websocket'

/** The bundled example upstreams (`example-server.js --flavour <name>`). */
export type ExampleFlavour = 'math' | 'data'

/** A balance strategy as JSON can say it: every one but `custom`, keys without functions. */
export type BalanceJson =
  | 'round-robin'
  | 'weighted-round-robin'
  | 'least-inflight'
  | 'random'
  | 'power-of-two'
  | {
      type: 'consistent-hash' | 'sticky-split'
      key: 'session' | 'principal' | 'client-address' | { header: string }
    }

/** What every upstream may say, whatever its kind. */
export interface CommonUpstreamFile {
  mode?: UpstreamMode
  timeout?: number
  namespace?: string | boolean
  priority?: number
  replicas?: number
  balance?: BalanceJson
}

export interface CommandUpstreamFile extends CommonUpstreamFile {
  command: string
  args?: string[]
  env?: Record<string, string>
  inheritEnv?: string[]
}

export interface UrlUpstreamFile extends CommonUpstreamFile {
  url: string
  transport?: UrlTransport
  headers?: Record<string, string>
}

export interface ExampleUpstreamFile extends CommonUpstreamFile {
  example: ExampleFlavour
}

export type UpstreamFile = CommandUpstreamFile | UrlUpstreamFile | ExampleUpstreamFile

/** A gateway config file (JSON or YAML) as written; see the README for every key. */
export interface ConfigFile {
  serve?: {
    transport?: FrontEnd
    host?: string
    port?: number
    path?: string
    allowedHosts?: string[]
  }
  upstreams: Record<string, UpstreamFile>
  routes?: Route[]
  router?: {
    default?: string
    collisions?: CollisionPolicy
    pageSize?: number
    cursorKey?: string
    separator?: string
    maxLength?: number
    memo?: number
    retryInterval?: number
    maxItems?: number
    maxTasks?: number
  }
}

/** The front end, every default filled in. */
export interface ServeConfig {
  transport: FrontEnd
  host: string
  port: number
  path: string
  allowedHosts: string[]
}

/** Where one replica's connections go. */
export type UpstreamSource =
  | {
      kind: 'command'
      command: string
      args: string[]
      env: Record<string, string>
      inheritEnv: string[]
    }
  | { kind: 'url'; url: string; transport: UrlTransport; headers: Record<string, string> }
  | { kind: 'example'; example: ExampleFlavour }

/** One upstream of the file: the `upstream()`s it becomes and its router entry. */
export interface UpstreamConfig {
  source: UpstreamSource
  mode: UpstreamMode
  timeout: number
  /** The names given to `upstream()`: the entry's own, or `<name>-1` … `<name>-N`. */
  replicas: string[]
  entry: UpstreamEntry
}

/** A config that passed validation, ready to build. */
export interface GatewayConfig {
  serve: ServeConfig
  upstreams: Record<string, UpstreamConfig>
  router: Omit<RouterOptions, 'log'>
}
