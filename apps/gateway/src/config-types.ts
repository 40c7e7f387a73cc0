import type {
  AccessOptions,
  ApiKeyOptions,
  BearerOptions,
  ClientCredentialsOptions,
  IntrospectionOptions,
  JwtOptions,
  ProtectedResourceMetadataOptions,
} from '@mcpx/auth'
import type { BreakerOptions, ConcurrencyLimitOptions, RetryOptions } from '@mcpx/breaker'
import type { ExampleFlavour } from '@mcpx/examples/server-path'
import type { PoolOptions } from '@mcpx/pool'
import type {
  FixedWindowOptions,
  KeyKind,
  LimitOptions,
  SlidingWindowOptions,
  TokenBucketOptions,
} from '@mcpx/ratelimit'
import type { CollisionPolicy, Route, RouterOptions, UpstreamEntry } from '@mcpx/router'
import type { UpstreamMode } from '@mcpx/transports'
import type { RedisConfig, SessionsConfig } from './config-types-redis.js'
import type { TransformersConfig, TransformersFile } from './config-types-transformers.js'
import type { FrontEnd } from './serve.js'

export type { RedisConfig, SessionsConfig }

/** How an HTTP upstream is reached. */
export type UrlTransport = 'streamable-http' | 'sse' | 'websocket'

/** The bundled example upstreams (`@mcpx/examples`' `mcpx-example-server --flavour <name>`). */
export type { ExampleFlavour }

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
  /** Without `pool` only: with one, the mode is `pool.mode`. */
  mode?: UpstreamMode
  /** `@mcpx/pool`'s options: the upstream's replicas become `pool()`s instead of `upstream()`s. */
  pool?: PoolOptions
  timeout?: number
  /** Ms to connect and finish `initialize` (`upstream()`'s and `pool()`'s `connectTimeout`). */
  connectTimeout?: number
  namespace?: string | boolean
  priority?: number
  replicas?: number
  balance?: BalanceJson
  /** Upstreams (of this file) that serve this one's messages when it is down, in order. */
  failover?: string[]
  /** Reached only through another upstream's `failover`: not routed, listed or called directly. */
  backup?: boolean
  /** Tools (the upstream's own names) whose `tools/call` may run twice: retried, or failed over after a failure. */
  idempotentTools?: string[]
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
  credentials?: {
    clientCredentials: {
      tokenUrl: string
      clientId: string
      clientSecret: string
      scope?: string | string[]
      resource?: string
      audience?: string
      authMethod?: 'client_secret_basic' | 'client_secret_post'
    }
  }
}

export interface ExampleUpstreamFile extends CommonUpstreamFile {
  example: ExampleFlavour
}

export type UpstreamFile = CommandUpstreamFile | UrlUpstreamFile | ExampleUpstreamFile

/** One static token or API key of the file and whom it stands for. */
export type SecretEntryFile = ({ token: string } | { key: string } | { sha256: string }) & {
  subject: string
  clientId?: string
  scopes?: string[]
}

export type JwtFile = ({ secret: string } | { key: string | object } | { jwksUri: string }) & {
  algorithms: string[]
  audience: string | string[] | false
  issuer?: string | string[]
  clockTolerance?: number
  typ?: string
  scopeClaim?: string
  jwks?: { timeout?: number; cooldown?: number; maxAge?: number }
}

export interface IntrospectionFile {
  endpoint: string
  clientId: string
  clientSecret: string
  audience: string | string[] | false
  issuer?: string | string[]
  timeout?: number
}

/** One authenticator or a non-empty list of them. */
type OneOrMore<T> = T | T[]
type ScopeRulesFile = Record<string, string | string[]>

/** The `auth` section as written (`'none'`: anonymous on purpose). */
export interface AuthFile {
  jwt?: OneOrMore<JwtFile>
  bearer?: OneOrMore<{ tokens: SecretEntryFile[] }>
  apiKey?: OneOrMore<{ header?: string; keys: SecretEntryFile[] }>
  introspection?: OneOrMore<IntrospectionFile>
  resource?: string
  authorizationServers?: string[]
  scopesSupported?: string[]
  scopes?: {
    tools?: ScopeRulesFile
    prompts?: ScopeRulesFile
    resources?: ScopeRulesFile
    resourceTemplates?: ScopeRulesFile
    unmatched?: 'allow' | 'deny'
    refuse?: 'insufficient-scope' | 'unknown'
  }
}

/** An algorithm of `@mcpx/ratelimit` as written: one key, the factory's name, with its options. */
export type AlgorithmFile =
  | { tokenBucket: TokenBucketOptions }
  | { slidingWindow: SlidingWindowOptions }
  | { fixedWindow: FixedWindowOptions }

/** One limit of the `rateLimits` section as written. */
export interface LimitFile {
  name: string
  algorithm: AlgorithmFile
  by?: KeyKind
  methods?: string | string[]
  tools?: string | string[]
  cost?: number
  failure?: 'open' | 'closed'
  overrides?: { tools: string | string[]; algorithm?: AlgorithmFile; cost?: number }[]
  classes?: ({ header: string } | { claim: string }) & { algorithms: Record<string, AlgorithmFile> }
}

/** The `rateLimits` section as written. */
export interface RateLimitsFile {
  limits: LimitFile[]
  allow?: { subjects?: string[]; clientIds?: string[]; addresses?: string[] }
  store?:
    | 'memory'
    | { memory: { maxKeys?: number } }
    | 'redis'
    | { redis: { url?: string; prefix?: string; timeoutMs?: number } }
}

/** The `timeouts` section: `timeout()` above `retry()` (the total deadline) and below it (each attempt's). */
export interface TimeoutsSection {
  total?: number
  perAttempt?: number
}

/** The options of `@mcpx/breaker`'s factories a file can say (no functions; registries are wired). */
export type BreakerSection = Pick<
  BreakerOptions,
  'strategy' | 'openDuration' | 'halfOpenProbes' | 'halfOpenSuccesses' | 'per' | 'maxCircuits'
>
export type RetrySection = Pick<
  RetryOptions,
  'attempts' | 'backoff' | 'maxRetryAfter' | 'budget' | 'maxUpstreams'
>
export type ConcurrencySection = Pick<
  ConcurrencyLimitOptions,
  'limit' | 'queue' | 'queueTimeout' | 'maxUpstreams'
>

/** A gateway config file (JSON or YAML) as written; see the README for every key. */
export interface ConfigFile {
  auth?: 'none' | AuthFile
  rateLimits?: RateLimitsFile
  transformers?: TransformersFile
  metrics?: MetricsFile
  logging?: LoggingFile
  redis?: RedisConfig
  sessions?: SessionsConfig
  timeouts?: TimeoutsSection
  retry?: RetrySection
  breaker?: BreakerSection
  concurrency?: ConcurrencySection
  serve?: {
    transport?: FrontEnd
    host?: string
    port?: number
    path?: string
    allowedHosts?: string[]
    shutdownTimeout?: number
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
  /** Milliseconds the requests in flight have to finish on SIGTERM/SIGINT before they are ended. */
  shutdownTimeout: number
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
  | {
      kind: 'url'
      url: string
      transport: UrlTransport
      headers: Record<string, string>
      /** The gateway's own OAuth token for the upstream (`streamable-http` only). */
      credentials?: ClientCredentialsOptions
    }
  | { kind: 'example'; example: ExampleFlavour }

/**
 * One upstream of the file: the `upstream()`s or `pool()`s it becomes (one
 * per replica, by `mode` or by `pool`) and its router entry.
 */
export type UpstreamConfig = {
  source: UpstreamSource
  timeout: number
  /** Undefined: the package's default (30000). */
  connectTimeout?: number | undefined
  /** The names given to `upstream()` or `pool()`: the entry's own, or `<name>-1` … `<name>-N`. */
  replicas: string[]
  entry: UpstreamEntry
} & ({ mode: UpstreamMode; pool?: undefined } | { pool: PoolOptions; mode?: undefined })

/** One authenticator of the `auth` section, as `@mcpx/auth` takes its options. */
export type AuthenticatorConfig =
  | { kind: 'jwt'; options: JwtOptions }
  | { kind: 'bearer'; options: BearerOptions }
  | { kind: 'apiKey'; options: ApiKeyOptions }
  | { kind: 'introspection'; options: IntrospectionOptions }

/** The `auth` section checked: its authenticators in file order (several: `anyOf`). */
export interface AuthConfig {
  authenticators: AuthenticatorConfig[]
  /** RFC 9728 metadata, when `auth.resource` is set. */
  metadata: ProtectedResourceMetadataOptions | undefined
  /** `access()`'s options, when `auth.scopes` is set (`resourceMetadata` is added when built). */
  access: Omit<AccessOptions, 'resourceMetadata'> | undefined
}

/** Where the rate-limit counters live. */
export type RateLimitStoreConfig =
  | { kind: 'memory'; maxKeys?: number }
  | { kind: 'redis'; redis: RedisConfig; prefix?: string; timeoutMs?: number }

/** The `rateLimits` section checked: `rateLimit()`'s limits (algorithms built), allow-list and store. */
export interface RateLimitsConfig {
  limits: LimitOptions[]
  allow: { subjects: string[]; clientIds: string[]; addresses: string[] }
  store: RateLimitStoreConfig
}

/** The upstreams' `failover`, `backup` and `idempotentTools`, by replica (the names `forward()` knows). */
export interface FailoverConfig {
  /** Each replica's backups in order: its sibling replicas, then each `failover` upstream's replicas. */
  backups: Record<string, string[]>
  /** The replicas of each upstream with backups: the router never finds all of one unavailable. */
  guarded: string[][]
  /** Each replica's idempotent tools. */
  idempotentTools: Record<string, string[]>
}

/** A config that passed validation, ready to build. */
export interface GatewayConfig {
  /** `undefined`: no section (anonymous, loopback only); `'none'`: anonymous on purpose. */
  auth: AuthConfig | 'none' | undefined
  /** `undefined`: no section, nothing is rate limited. */
  rateLimits: RateLimitsConfig | undefined
  /** `undefined` (no section): none of that middleware in the stack. */
  timeouts: TimeoutsSection | undefined
  retry: RetrySection | undefined
  breaker: BreakerSection | undefined
  concurrency: ConcurrencySection | undefined
  /** `undefined` (no section): no transformer in the stack. */
  transformers: TransformersConfig | undefined
  /** `undefined` (no section): no metrics, no access log, nothing served at /metrics. */
  metrics: MetricsConfig | undefined
  /** Every default filled in; `MCPX_LOG_FORMAT` and `MCPX_LOG_LEVEL` apply over it when the log is made. */
  logging: LoggingConfig
  failover: FailoverConfig
  /** `undefined` (no section): no Redis but each store's own. */
  redis: RedisConfig | undefined
  /** `undefined` (no section): sessions live in the replica that opened them, and nowhere else. */
  sessions: SessionsConfig | undefined
  serve: ServeConfig
  upstreams: Record<string, UpstreamConfig>
  router: Omit<RouterOptions, 'log'>
}

/** `metrics()`' options a file can write: no registry, client, cache key or logger; tracing on or off. */
export interface MetricsOptionsSection {
  maxUpstreams?: number
  maxTools?: number
  maxClients?: number
  methods?: string[]
  buckets?: number[]
  tracing?: boolean
}

/** `accessLog()`'s options a file can write: no logger, filter or redactor function. */
export interface AccessLogSection {
  requests?: boolean
  errors?: boolean
  notifications?: boolean
  health?: boolean
  arguments?: boolean
  maxFieldLength?: number
  maxArgumentsBytes?: number
}

/** The `metrics` section as a file writes it. */
export interface MetricsFile extends MetricsOptionsSection {
  enabled?: boolean
  path?: string
  accessLog?: AccessLogSection
}

/** The `metrics` section checked. */
export interface MetricsConfig {
  /** False: the section is as if absent (no metrics, no endpoint, no access log). */
  enabled: boolean
  /** Served on the front end's HTTP listener, beside the MCP endpoint. */
  path: string
  options: MetricsOptionsSection
  /** `undefined`: no access log. */
  accessLog: AccessLogSection | undefined
}

/** How the gateway's log is written: `auto` is JSON when stderr is not a terminal, text on one. */
export type LogFormat = 'auto' | 'json' | 'text'

/** pino's levels; `silent` logs nothing. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** The `logging` section as a file writes it. */
export interface LoggingFile {
  format?: LogFormat
  level?: LogLevel
}

/** The `logging` section checked (default `{ format: 'auto', level: 'info' }`). */
export interface LoggingConfig {
  format: LogFormat
  level: LogLevel
}
