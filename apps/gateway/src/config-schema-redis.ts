import { z } from 'zod/v4'
import { dflt, int, ms, opt, secret, text } from './config-schema-parts.js'

// The `redis` and `sessions` sections' schema (issue 16): one Redis for every shared store, and
// the session registry of the Streamable HTTP front end in it.

const url = () =>
  text().describe(`a redis:// or rediss:// URL (never shown: it may hold a password; use \${VAR})`)

export const redisSchema = z
  .strictObject({
    url: opt(url(), 'one Redis server (exactly one of url, sentinels and cluster)'),
    sentinels: opt(
      z
        .array(
          z
            .strictObject({
              host: text().describe('a Sentinel’s host (required)'),
              port: int().min(1).max(65535).describe('its port (required)'),
            })
            .describe('A Sentinel'),
        )
        .min(1),
      'the Sentinels that know the primary named name (Redis Sentinel)',
    ),
    name: opt(text(), 'with sentinels: the primary’s name, as the Sentinels know it (required)'),
    password: opt(
      secret('with sentinels or cluster: the password of the Redis nodes'),
      `with sentinels or cluster: the password of the Redis nodes (a secret: never shown; use \${VAR})`,
    ),
    sentinelPassword: opt(
      secret('with sentinels: the Sentinels’ password'),
      `with sentinels: the Sentinels’ password (a secret: never shown; use \${VAR})`,
    ),
    cluster: opt(
      z.array(url()).min(1),
      'a Redis Cluster: URLs of some of its nodes, from which the others are found',
    ),
  })
  .describe(
    'One Redis for every store that says store: redis (or { redis: {…} } without a url) and for the session registry; one connection per process',
  )

export const sessionsSchema = z
  .strictObject({
    registry: z
      .strictObject({
        advertise: opt(
          text(),
          'this replica’s http(s) origin as the other replicas reach it (http://10.0.0.7:3000); default the origin it listens on',
        ),
        secret: z
          .string()
          .min(16)
          .describe(
            `shared by every replica, at least 16 characters, sent on forwarded requests (required; never shown; use \${VAR})`,
          ),
        ttl: dflt(
          ms(100),
          60_000,
          'ms a session’s entry lives unless refreshed (every ttl / 3) by its owner',
        ),
        connectTimeout: dflt(
          ms(1),
          2000,
          'ms to reach the owner of a session before it is taken for gone (the client gets 404)',
        ),
        prefix: dflt(text(), 'mcpx:sessions:', 'the entries’ key prefix'),
        timeoutMs: dflt(ms(1), 200, 'ms one Redis command may take'),
      })
      .describe(
        'Which replica owns each Streamable HTTP session, in the top-level redis: a request that reaches another replica is forwarded to its owner',
      ),
  })
  .describe('Sessions shared by replicas (Streamable HTTP only; needs the top-level redis)')
