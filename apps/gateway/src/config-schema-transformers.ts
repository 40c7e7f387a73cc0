import { redactPatternNames } from '@mcpx/transformers'
import { z } from 'zod/v4'
import {
  dflt,
  HEADER_NAME,
  int,
  ms,
  opt,
  storeRedisUrl,
  text,
  texts,
  whole,
} from './config-schema-parts.js'

// The `transformers` section's schema: one sub-section per @mcpx/transformers factory, each
// with the options a file can write (no functions). Defaults are the package's own.

const metadata = z
  .strictObject({
    prefix: dflt(z.string(), 'dev.mcpx/', 'the _meta key prefix: reverse-DNS labels and a slash'),
    gateway: dflt(text(), 'mcpx', "the gateway's name, under <prefix>gateway"),
    fields: opt(
      z.array(z.enum(['requestId', 'clientId', 'gateway', 'duration'])),
      'what to add (duration on results only); default all four',
    ),
    to: dflt(
      z.enum(['requests', 'results', 'both']),
      'both',
      'which _meta to write: the request sent upstream, the result sent back, or both',
    ),
    headers: opt(
      z
        .strictObject({
          upstream: dflt(z.boolean(), true, 'send the request id to HTTP upstreams'),
          answer: dflt(z.boolean(), true, 'put it on the HTTP answer to the client'),
        })
        .describe('Where the request id header goes'),
      'where the request id header goes',
    ),
    header: dflt(
      z.string(),
      'x-request-id',
      'the lower-case header carrying the request id, both ways',
    ),
    acceptRequestId: dflt(z.boolean(), true, "keep a client's own request id"),
  })
  .describe('Request ids, client id, gateway name and duration in _meta (metadata())')

const redact = z
  .strictObject({
    keys: opt(
      texts(),
      'keys whose values are replaced wherever they are; default the built-in list',
    ),
    patterns: opt(
      z.array(
        z.union([
          z.enum(redactPatternNames as [string, ...string[]]),
          z
            .strictObject({
              name: text().describe('its name (required)'),
              regex: z.string().describe('the regular expression, as source text (required)'),
              flags: opt(z.string(), 'its flags'),
            })
            .describe('A regex of the file’s own'),
        ]),
      ),
      `built-in pattern names (${redactPatternNames.join(', ')}) and { name, regex, flags }; default every built-in but email`,
    ),
    replacement: dflt(z.string(), '[REDACTED]', 'what replaces a match'),
    keysInText: dflt(z.boolean(), true, 'also redact key=value and "key": value inside strings'),
    maxDepth: dflt(int().min(1).max(1000), 64, 'how deep values are walked'),
    maxNodes: dflt(
      int().min(1),
      1_000_000,
      'values walked at most; past it the message is replaced (fails closed)',
    ),
    toServer: dflt(z.boolean(), true, 'redact requests sent to upstreams'),
    toClient: dflt(z.boolean(), true, 'redact answers sent to clients'),
    skip: dflt(texts(), ['initialize', 'ping', 'tools/list'], 'methods left alone'),
  })
  .describe('Redaction of sensitive fields (redact())')

const selection = z
  .strictObject({
    include: opt(texts(), 'globs of what is cached'),
    exclude: opt(texts(), 'globs of what is not, whatever include says'),
  })
  .describe('Globs')

const store = z.union([
  z.literal('memory'),
  z.literal('redis').describe('the top-level redis'),
  z.strictObject({
    memory: z
      .strictObject({
        maxEntries: dflt(whole().min(1), 10_000, 'the most entries'),
        maxBytes: dflt(whole().min(1), 67_108_864, 'the most bytes (serialized)'),
      })
      .describe('In this process, bounded'),
  }),
  z.strictObject({
    redis: z
      .strictObject({
        url: storeRedisUrl(),
        prefix: opt(z.string(), 'the key prefix'),
        timeoutMs: opt(whole().min(1), 'ms a Redis call may take'),
        maxTtlMs: opt(whole().min(1), 'the longest an entry is kept, in ms'),
        clockSkewMs: opt(whole().min(0), 'clock skew allowed between replicas, in ms'),
      })
      .describe('Shared by every gateway replica'),
  }),
])

const cache = z
  .strictObject({
    ttlMs: dflt(ms(1), 60_000, 'how long an entry is served as fresh, in ms'),
    staleWhileRevalidateMs: dflt(
      ms(0),
      0,
      'how long a stale entry is served while it is refreshed; 0: none',
    ),
    refreshTimeoutMs: dflt(ms(1), 10_000, 'the longest a background refresh may take'),
    maxEntryBytes: dflt(int().min(1), 1_048_576, 'the largest answer cached, in serialized bytes'),
    tools: opt(
      selection.extend({
        trustHints: opt(z.boolean(), 'also cache tools their upstream annotates readOnlyHint'),
      }),
      "which tools' tools/call results are cached: none unless included",
    ),
    resources: opt(
      selection,
      "which resource URIs' resources/read results are cached; default all",
    ),
    prompts: opt(selection, "which prompts' prompts/get results are cached; default all"),
    lists: dflt(z.boolean(), true, "whether upstreams' list pages are cached"),
    vary: dflt(
      z.array(
        z.union([
          z.enum(['principal', 'session']),
          z.strictObject({ header: z.string().regex(HEADER_NAME).describe('a request header') }),
          z.strictObject({ claim: text().describe("a principal's claim") }),
        ]),
      ),
      ['principal'],
      "what else an entry's key holds: 'principal', 'session', { header }, { claim }",
    ),
    cacheControl: dflt(
      z.boolean(),
      true,
      'honour Cache-Control from clients and say it on answers',
    ),
    store: dflt(
      store,
      'memory',
      "where entries live: 'memory', { memory: {…} }, 'redis' (the top-level redis) or { redis: { url?, … } }",
    ),
  })
  .describe('Response caching (cache())')

const annotations = z
  .strictObject({
    title: opt(z.string(), 'the display title'),
    readOnlyHint: opt(z.boolean(), 'MCP readOnlyHint'),
    destructiveHint: opt(z.boolean(), 'MCP destructiveHint'),
    idempotentHint: opt(z.boolean(), 'MCP idempotentHint'),
    openWorldHint: opt(z.boolean(), 'MCP openWorldHint'),
  })
  .describe('Annotations laid over the upstream’s')

const rules = z
  .strictObject({
    allow: opt(texts(), "globs over the upstream's tool names: only those shown and callable"),
    deny: opt(texts(), 'globs of tools hidden and refused, whatever allow says'),
    rename: opt(z.record(z.string(), z.string()), "the upstream's name → the name clients see"),
    descriptions: opt(
      z.record(z.string(), z.string()),
      "the upstream's name → the description clients see",
    ),
    annotations: opt(
      z.record(z.string(), annotations),
      "the upstream's name → annotation overrides",
    ),
    inject: opt(
      z.record(z.string(), z.record(z.string(), z.unknown())),
      "the upstream's name → arguments set on every call (hidden from the tool's schema)",
    ),
    maxResultBytes: opt(
      int().min(64),
      'the most bytes a tools/call result may take as JSON; default no limit',
    ),
    onOversize: dflt(
      z.enum(['truncate', 'error']),
      'truncate',
      'past maxResultBytes: cut the text, or answer an error',
    ),
    truncationMarker: dflt(
      z.string(),
      '\n[truncated by the gateway]',
      'appended to a cut text block',
    ),
  })
  .describe('Tool rules (rewriteTools())')

export const transformersSchema = z
  .strictObject({
    metadata: opt(metadata, 'metadata()'),
    redact: opt(redact, 'redact()'),
    cache: opt(cache, 'cache()'),
    rewriteTools: opt(
      z.union([
        rules,
        z.strictObject({
          upstreams: z.record(z.string(), rules).describe('upstream name → its rules'),
        }),
      ]),
      'filter, rename and re-describe tools: one set of rules, or { upstreams: { <name>: rules } }',
    ),
    validateArguments: opt(
      z
        .strictObject({
          uncompilable: dflt(
            z.enum(['forward', 'refuse']),
            'forward',
            'a tool whose input schema cannot be compiled: forward its calls unchecked, or refuse them',
          ),
          maxSchemas: dflt(int().min(1), 1000, 'compiled schemas kept'),
        })
        .describe("Tool arguments checked against each tool's input schema (validateArguments())"),
      'validateArguments()',
    ),
    pinTools: opt(
      z
        .strictObject({
          lockFile: opt(
            text(),
            "a lock file (mcpx-gateway pins approve), relative to the config's directory",
          ),
          strict: opt(z.boolean(), 'hide every tool the lock does not pin (needs lockFile)'),
          maxPending: dflt(int().min(1), 1000, 'held-back tools reported at most'),
          maxPins: dflt(int().min(1), 10_000, 'pins the store keeps (in memory or in Redis)'),
          store: dflt(
            z.union([
              z.literal('memory'),
              z.literal('redis').describe('the top-level redis'),
              z.strictObject({ memory: z.strictObject({}).describe('In this process') }),
              z.strictObject({
                redis: z
                  .strictObject({
                    url: storeRedisUrl(),
                    key: dflt(text(), 'mcpx:pins', 'the hash holding every pin'),
                    timeoutMs: dflt(ms(1), 500, 'ms a Redis call may take'),
                  })
                  .describe('Shared by every gateway replica, kept across reloads'),
              }),
            ]),
            'memory',
            "where pins live: 'memory' (this process), 'redis' (the top-level redis) or { redis: { url?, key?, timeoutMs? } }",
          ),
        })
        .describe('Tool-definition pinning (pinTools())'),
      'pinTools()',
    ),
  })
  .describe('Rewriting messages (@mcpx/transformers); each sub-section adds one middleware')
