import { z } from 'zod/v4'
import { authSchema, rateLimitsSchema } from './config-schema-auth.js'
import { REGENERATE, renderConfigDocs } from './config-schema-docs.js'
import { dflt, globs, opt, text, texts, whole } from './config-schema-parts.js'
import { redisSchema, sessionsSchema } from './config-schema-redis.js'
import {
  breakerSchema,
  concurrencySchema,
  loggingSchema,
  metricsSchema,
  retrySchema,
  timeoutsSchema,
} from './config-schema-sections.js'
import { transformersSchema } from './config-schema-transformers.js'
import { upstreamsSchema } from './config-schema-upstreams.js'

// Issue 15 §3: the config document described in zod v4, from which config.schema.json (editor
// completion) and docs/configuration.md are generated (scripts/gen-config-docs.mjs), and which
// checkConfig (config.ts) runs after its own rules, as a second gate. The rules give the messages
// by path and run each package's own option checks; whatever this schema refuses, they refuse
// too (test/config-schema.test.ts), and they also refuse what spans keys (a route to no upstream).

const serve = z
  .strictObject({
    transport: dflt(
      z.enum(['http', 'sse', 'websocket', 'stdio']),
      'http',
      'the front end, as --serve: Streamable HTTP, legacy HTTP+SSE, WebSocket or stdio',
    ),
    host: dflt(text(), '127.0.0.1', 'address to bind'),
    port: dflt(whole().min(0).max(65535), 3000, '0 picks a free port'),
    path: dflt(
      z.string().regex(/^\//),
      '/mcp',
      'endpoint of Streamable HTTP and WebSocket (legacy SSE always uses /sse and /messages)',
    ),
    allowedHosts: dflt(
      texts(),
      [],
      'Host names accepted besides localhost, 127.0.0.1 and [::1] (DNS-rebinding protection)',
    ),
    shutdownTimeout: dflt(
      whole().min(0).max(3_600_000),
      10_000,
      'ms that in-flight requests have to finish after SIGTERM or SIGINT; the rest then end with "gateway shutting down"',
    ),
  })
  .describe('Where and how clients reach the gateway')

const route = z
  .strictObject({
    tools: opt(globs(), 'tool names as the client sends them (after namespacing, so web_*)'),
    resources: opt(globs(), 'resource URIs (resources/read, subscribe, completions)'),
    prompts: opt(globs(), 'prompt names (prompts/get, completions)'),
    methods: opt(globs(), 'other methods (vendor/*)'),
    to: text().describe('the name of an upstream in upstreams, not a backup (required)'),
    priority: dflt(
      z.number(),
      0,
      'higher wins; equal priorities go to the more specific pattern, then the earlier route',
    ),
  })
  .describe('What matches goes to its upstream; at least one of tools, resources, prompts, methods')

const count = (min: number) => whole().min(min)

/** A top-level section: its own description, and what its absence means. */
const section = <T extends z.ZodType>(schema: T, absent: string) =>
  opt(schema, `${schema.description ?? ''}. Absent: ${absent}`)

const router = z
  .strictObject({
    default: opt(
      text(),
      'the upstream for what no route, namespace or list places; default the only upstream, when there is one',
    ),
    collisions: dflt(
      z.enum(['first', 'error']),
      'first',
      'two upstreams exposing one name: serve it from the higher priority (then earlier) one, or from neither',
    ),
    pageSize: dflt(count(0), 0, 'items per page of merged lists; 0 puts everything in one page'),
    cursorKey: opt(
      z.string().min(16),
      'HMAC key of pagination cursors, at least 16 characters: give every replica the same one; default random per process',
    ),
    separator: dflt(
      z.string().regex(/^[A-Za-z0-9_.-]{1,4}$/),
      '_',
      'joins a namespace to a name: 1 to 4 of A-Z a-z 0-9 _ . -',
    ),
    maxLength: dflt(
      whole().min(1).max(128),
      64,
      'longest exposed name; longer ones are shortened with a stable hash',
    ),
    memo: dflt(count(0), 1000, 'hot names each route matcher remembers; 0 turns the memo off'),
    retryInterval: dflt(
      count(10),
      5000,
      'ms an upstream that failed to list is left out before it is asked again',
    ),
    maxItems: dflt(count(0), 10_000, "most items kept from one upstream's list"),
    maxTasks: dflt(count(0), 10_000, 'most MCP tasks remembered for their creators'),
  })
  .describe('How messages are routed and lists merged (@mcpx/router)')

/** The config document (JSON or YAML, after `${VAR}` interpolation). */
export const configSchema = z
  .strictObject({
    $schema: opt(
      z.string(),
      'the JSON Schema of this file, for editors (./config.schema.json); ignored by the gateway',
    ),
    serve: section(serve, 'loopback Streamable HTTP on port 3000 at /mcp'),
    auth: section(authSchema, 'anonymous, on loopback only'),
    rateLimits: section(rateLimitsSchema, 'nothing is rate limited'),
    timeouts: section(timeoutsSchema, 'no deadline but each upstream’s timeout'),
    retry: section(retrySchema, 'no retries'),
    breaker: section(breakerSchema, 'no circuit breaker'),
    concurrency: section(concurrencySchema, 'no concurrency limit'),
    transformers: section(transformersSchema, 'no transformer'),
    metrics: section(metricsSchema, 'no metrics, no /metrics, no access log'),
    logging: section(loggingSchema, 'auto format at info, or MCPX_LOG_FORMAT and MCPX_LOG_LEVEL'),
    redis: section(redisSchema, 'no Redis but what a store names itself'),
    sessions: section(
      sessionsSchema,
      'a session is served only by the replica that opened it (404 elsewhere)',
    ),
    upstreams: upstreamsSchema,
    routes: dflt(z.array(route), [], 'routes, in order, before namespaces and lists are consulted'),
    router: section(router, 'the router’s defaults'),
  })
  .describe('A mcpx-gateway config file (JSON or YAML); only upstreams is required')

export type ConfigDocument = z.input<typeof configSchema>

/**
 * The config's JSON Schema (draft 2020-12). Integers the checker takes whole
 * but not only safe (`multipleOf: 1` here) are written `type: integer`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    override({ jsonSchema }) {
      if (jsonSchema.type === 'number' && jsonSchema.multipleOf === 1) {
        jsonSchema.type = 'integer'
        delete jsonSchema.multipleOf
      }
    },
  })
  return {
    $schema: schema.$schema,
    title: 'mcpx-gateway config',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  }
}

export { REGENERATE }

/**
 * The generated files, by path from the repository root: the JSON Schema and
 * the reference page. scripts/gen-config-docs.mjs writes them;
 * test/config-docs.test.ts compares them with the committed ones.
 */
export function generatedConfigFiles(): Record<string, string> {
  const schema = configJsonSchema()
  return {
    'apps/gateway/config.schema.json': `${formatJson(schema, '')}\n`,
    'docs/configuration.md': renderConfigDocs(schema),
  }
}

/** Biome's JSON layout (the repository's formatter): arrays of plain values on one line when they fit. */
function formatJson(value: unknown, indent: string, width = indent.length): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    const plain = value.every((item) => typeof item !== 'object' || item === null)
    const line = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`
    // The key before it and a comma after it share the line.
    if (plain && width + line.length + 1 <= LINE_WIDTH) return line
    const inner = `${indent}  `
    return `[\n${value.map((item) => inner + formatJson(item, inner)).join(',\n')}\n${indent}]`
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
    if (entries.length === 0) return '{}'
    const inner = `${indent}  `
    const lines = entries.map(([key, item]) => {
      const head = `${inner}${JSON.stringify(key)}: `
      return head + formatJson(item, inner, head.length)
    })
    return `{\n${lines.join(',\n')}\n${indent}}`
  }
  return JSON.stringify(value)
}
const LINE_WIDTH = 100
