/**
 * Where gateway replicas record which of them owns each Streamable HTTP
 * session, so that a request that reaches a replica without the session can
 * be forwarded to the one that has it. `@mcpx/transports/redis` has the
 * Redis implementation, `redisSessionDirectory()`; any shared store with
 * expiring keys and an atomic compare-and-delete will do.
 *
 * Every method may reject (the store is down or slow): the front end then
 * fails open (sessions keep working on their replica; a request that
 * reaches another replica is forwarded if that replica remembers the
 * session's owner, else answered 404), and reports the outage once through
 * `onError`, not once per request. A method should settle within a bounded
 * time (a command timeout): a misrouted request waits for `owner()`.
 */
export interface SessionDirectory {
  /**
   * Milliseconds an entry lives unless it is refreshed. The owner refreshes
   * the entries of all its live sessions every `ttl / 3` (one timer per
   * front end), so an entry outlives its session by at most `ttl` when the
   * owner dies without releasing it.
   */
  readonly ttl: number
  /**
   * Record `owner` as the owner of session `id`, for `ttl`. The value is
   * opaque to the directory (the registry stores the replica's advertised
   * origin with a signature); store and answer it as it came.
   */
  claim(id: string, owner: string): Promise<void>
  /** Refresh the entry of a session `owner` still holds (and write it again if the store lost it). */
  touch(id: string, owner: string): Promise<void>
  /** Delete the entry of `id` only if it still names `owner` (never another replica's claim). */
  release(id: string, owner: string): Promise<void>
  /** The `owner` value last claimed for `id`, or undefined. */
  owner(id: string): Promise<string | undefined>
}

/**
 * The `registry` option of `createStreamableHttpHandler`: how this replica
 * takes part in a set of replicas behind a load balancer that does not
 * stick sessions to replicas.
 */
export interface SessionRegistryOptions {
  /** The directory all replicas share. */
  directory: SessionDirectory
  /**
   * This replica's origin as the other replicas reach it, e.g.
   * `'http://10.0.0.7:3000'`: an internal address, not the load balancer's.
   * Forwarded requests go to that origin with the path they came with, so
   * every replica must serve the endpoint at the same path.
   */
  self: string
  /**
   * A secret all replicas share (at least 16 characters): a forwarded
   * request carries it in the `mcpx-replica-secret` header, and a request
   * whose header does not match is refused 403. Only a request that carries
   * it is served without being forwarded again.
   *
   * It also signs the directory's entries: each names its owner's origin
   * with an HMAC-SHA256 over the session id and that origin, keyed from this
   * secret, and a replica checks it before it connects anywhere. An entry
   * that fails the check is taken for no owner (the client gets 404) and
   * reported through `onError`, never forwarded: whoever can write to the
   * directory but does not know the secret cannot send a session's requests,
   * with the secret and the client's `Authorization`, to a server of theirs.
   */
  secret: string
  /**
   * Milliseconds to wait for a connection to the owner (or for a free
   * socket to it). When it fails, the owner is taken for gone: its entry for
   * the session is dropped (if it still names that owner) and the client
   * gets 404, so it initializes a new session.
   * @defaultValue 2000
   */
  connectTimeout?: number
}
