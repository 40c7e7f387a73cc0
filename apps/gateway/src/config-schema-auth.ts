import { z } from 'zod/v4'
import { ALGORITHMS } from './config-jwt.js'
import {
  dflt,
  globs,
  HEADER_NAME,
  LIMIT_NAME,
  oneOrMore,
  opt,
  SCOPE,
  scopes,
  secret,
  storeRedisUrl,
  text,
  texts,
  whole,
} from './config-schema-parts.js'

// The `auth` and `rateLimits` sections' schema: @mcpx/auth's authenticators and scope rules,
// @mcpx/ratelimit's limits, allow-list and store.

const audience = z
  .union([text(), texts().min(1), z.literal(false)])
  .describe(
    'the audience (or audiences) a token must carry (RFC 8707; required); false accepts any, on purpose',
  )
const issuer = () => opt(oneOrMore(), 'the issuer (or issuers) a token must come from')

/** At least one of an object, or a non-empty array of them (two JWT issuers). */
const oneOrList = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)])

const jwt = z
  .strictObject({
    secret: opt(
      secret('an HMAC secret (HS*), at least as many bytes as the hash'),
      'the HMAC secret (HS*): one of secret, key, jwksUri',
    ),
    key: opt(
      z.union([text(), z.record(z.string(), z.unknown())]),
      'a public key, PEM text or a JWK object: one of secret, key, jwksUri',
    ),
    jwksUri: opt(text(), "the issuer's http(s) JWKS URL: one of secret, key, jwksUri"),
    jwks: opt(
      z
        .strictObject({
          timeout: opt(z.number().min(0), 'ms a JWKS fetch may take'),
          cooldown: opt(z.number().min(0), 'ms between two fetches for an unknown key id'),
          maxAge: opt(z.number().min(0), 'ms a fetched JWKS is kept'),
        })
        .describe('How the JWKS is fetched'),
      'how the JWKS is fetched (only with jwksUri)',
    ),
    algorithms: z
      .array(z.enum(ALGORITHMS))
      .min(1)
      .describe('the algorithms accepted (required; never none)'),
    issuer: issuer(),
    audience,
    clockTolerance: opt(z.number().min(0), 'seconds of clock skew allowed on exp and nbf'),
    typ: opt(text(), 'the typ header a token must have'),
    scopeClaim: opt(text(), 'the claim holding the scopes'),
  })
  .describe('A JWT authenticator (@mcpx/auth jwt())')

/** A `tokens` or `keys` entry: the secret (or its SHA-256) and whom it stands for. */
const secretEntry = (name: 'token' | 'key') =>
  z
    .strictObject({
      [name]: opt(secret(`the ${name}`), `the ${name} itself: one of ${name} and sha256`),
      sha256: opt(
        z.string().regex(/^[0-9a-fA-F]{64}$/),
        `the SHA-256 of the ${name}, 64 hex digits: one of ${name} and sha256`,
      ),
      subject: text().describe('the principal it stands for (required)'),
      clientId: opt(text(), "the principal's client id"),
      scopes: dflt(scopes(), [], 'the scopes it grants'),
    })
    .describe(`One ${name} and whom it stands for`)

const bearer = z
  .strictObject({
    tokens: z.array(secretEntry('token')).min(1).describe('the static bearer tokens (required)'),
  })
  .describe('Static bearer tokens (@mcpx/auth bearer())')

const apiKey = z
  .strictObject({
    header: opt(z.string().regex(HEADER_NAME), 'the header carrying the key'),
    keys: z.array(secretEntry('key')).min(1).describe('the API keys (required)'),
  })
  .describe('API keys in a header (@mcpx/auth apiKey())')

const introspection = z
  .strictObject({
    endpoint: text().describe('the RFC 7662 introspection endpoint, http(s) (required)'),
    clientId: text().describe("the gateway's client id there (required)"),
    clientSecret: secret('its client secret (required)'),
    audience,
    issuer: issuer(),
    timeout: opt(z.number().min(1), 'ms an introspection call may take'),
  })
  .describe('OAuth token introspection (@mcpx/auth introspection())')

const scopeRules = (kind: string) =>
  opt(
    z.record(z.string(), z.union([z.string().regex(SCOPE), scopes().min(1)])),
    `${kind} name pattern (glob) → the scope or scopes it needs`,
  )

const authObject = z
  .strictObject({
    jwt: opt(oneOrList(jwt), 'a JWT authenticator, or a non-empty list of them'),
    bearer: opt(oneOrList(bearer), 'static bearer tokens, or a non-empty list of such sets'),
    apiKey: opt(oneOrList(apiKey), 'API keys, or a non-empty list of such sets'),
    introspection: opt(oneOrList(introspection), 'token introspection, or a non-empty list'),
    resource: opt(
      text(),
      "this gateway's resource URL: serves RFC 9728 metadata at /.well-known/oauth-protected-resource",
    ),
    authorizationServers: opt(texts(), 'issuers named in the metadata (required with resource)'),
    scopesSupported: opt(scopes(), 'scopes named in the metadata (only with resource)'),
    scopes: opt(
      z
        .strictObject({
          tools: scopeRules('tool'),
          prompts: scopeRules('prompt'),
          resources: scopeRules('resource URI'),
          resourceTemplates: scopeRules('resource template'),
          unmatched: dflt(z.enum(['allow', 'deny']), 'allow', 'what a name no rule matches gets'),
          refuse: dflt(
            z.enum(['insufficient-scope', 'unknown']),
            'insufficient-scope',
            'how a call without its scope is refused: 403 insufficient_scope, or as an unknown name',
          ),
        })
        .describe('Scope rules (@mcpx/auth access())'),
      'scopes needed per tool, prompt and resource',
    ),
  })
  .describe('At least one authenticator (jwt, bearer, apiKey, introspection; several: any of them)')

export const authSchema = z
  .union([z.literal('none'), authObject])
  .describe("Who may call the gateway (@mcpx/auth); 'none': anonymous on purpose")

const number = () => z.number()
const algorithm = z
  .union([
    z.strictObject({
      tokenBucket: z
        .strictObject({
          capacity: number().describe('the most tokens (the burst; required)'),
          refillPerSecond: number().describe('tokens added per second (required)'),
        })
        .describe('A token bucket'),
    }),
    z.strictObject({
      slidingWindow: z
        .strictObject({
          limit: number().describe('requests per window (required)'),
          windowMs: number().describe('the window, in whole ms (required)'),
        })
        .describe('A sliding window'),
    }),
    z.strictObject({
      fixedWindow: z
        .strictObject({
          limit: number().describe('requests per window (required)'),
          windowMs: number().describe('the window, in whole ms (required)'),
        })
        .describe('A fixed window'),
    }),
  ])
  .describe('Exactly one of tokenBucket, slidingWindow, fixedWindow, with its options')

const positive = () => z.number().gt(0)

const limit = z
  .strictObject({
    name: z.string().regex(LIMIT_NAME).describe('1 to 64 of A-Z a-z 0-9 _ . -, unique (required)'),
    algorithm: algorithm.describe('how requests are counted (required)'),
    by: dflt(
      z.enum(['global', 'client', 'tool', 'client-tool']),
      'client',
      'what is counted apart: everything together, per client, per tool, or per client and tool',
    ),
    methods: opt(globs(), 'methods limited (globs); default: every request'),
    tools: opt(globs(), 'tools limited (globs over the names clients call)'),
    cost: dflt(positive(), 1, 'what one request takes'),
    failure: dflt(
      z.enum(['open', 'closed']),
      'open',
      'when the store fails: let requests through, or refuse them',
    ),
    overrides: opt(
      z.array(
        z
          .strictObject({
            tools: globs().describe('the tools it applies to (required)'),
            algorithm: opt(algorithm, 'their own algorithm'),
            cost: opt(positive(), 'their own cost'),
          })
          .describe('An algorithm or cost for some tools'),
      ),
      'per-tool algorithms or costs',
    ),
    classes: opt(
      z
        .strictObject({
          header: opt(z.string().regex(HEADER_NAME), 'the request header naming the class'),
          claim: opt(text(), "the principal's claim naming the class"),
          algorithms: z
            .record(z.string().regex(LIMIT_NAME), algorithm)
            .describe('class name → algorithm (required, non-empty)'),
        })
        .describe('Classes of client: exactly one of header and claim'),
      'an algorithm per class of client',
    ),
  })
  .describe('One limit of @mcpx/ratelimit rateLimit()')

export const rateLimitsSchema = z
  .strictObject({
    limits: z.array(limit).min(1).describe('the limits, each counted on its own (required)'),
    allow: opt(
      z
        .strictObject({
          subjects: dflt(texts(), [], 'principal subjects never limited'),
          clientIds: dflt(texts(), [], 'client ids never limited'),
          addresses: dflt(texts(), [], 'client IP addresses never limited (127.0.0.1, ::1)'),
        })
        .describe('Who is never limited'),
      'who is never limited',
    ),
    store: dflt(
      z.union([
        z.literal('memory'),
        z.literal('redis').describe('the top-level redis'),
        z.strictObject({
          memory: z
            .strictObject({ maxKeys: opt(whole().min(1), 'the most keys kept') })
            .describe('In this process, bounded'),
        }),
        z.strictObject({
          redis: z
            .strictObject({
              url: storeRedisUrl(),
              prefix: opt(text(), 'the key prefix'),
              timeoutMs: opt(positive(), 'ms a Redis call may take'),
            })
            .describe('Shared by every gateway replica'),
        }),
      ]),
      'memory',
      "where counters live: 'memory', { memory: { maxKeys } }, 'redis' (the top-level redis) or { redis: { url?, … } }",
    ),
  })
  .describe('How often clients may call (@mcpx/ratelimit)')
