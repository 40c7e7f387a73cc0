import type { AbortSource } from '@mcpx/core'
import type { Params, Result } from '../protocol/peer.js'
import type { Session } from '../protocol/session.js'
import type { UpstreamConnection } from './connection.js'
import type { Origin } from './routing.js'

/**
 * How a source lends its connections: `shared` (one connection serves every
 * session at once), `per-session` (each session leases its own for its
 * lifetime), `per-request` (a connection serves one request at a time).
 * `upstream()` offers the first two; `per-request` is a pool's.
 */
export type LeaseMode = 'shared' | 'per-session' | 'per-request'

/**
 * How a lease ended: what a pool needs to decide whether its connection may
 * be lent again. `done`: answered, with a result or the server's own JSON-RPC
 * error. `failed`: the connection failed the request (-32010), so it is
 * probably gone. `abandoned`: cancelled or timed out, so the server may still
 * be working on it (MCP Cancellation: messages may follow a cancel).
 */
export type LeaseOutcome = 'done' | 'failed' | 'abandoned'

/** One connection lent for one request (or, per-session, for the session). */
export interface UpstreamLease {
  readonly connection: UpstreamConnection
  /** Called exactly once, in `finally`. Shared-mode leases are the connection's own slot: not idempotent. */
  release(outcome: LeaseOutcome): void
}

/** What `forward()` takes: `upstream()` (and a connection pool) implement it. */
export interface UpstreamSource {
  readonly name: string
  readonly mode: LeaseMode
  /** Request timeout in ms (0: none). */
  readonly timeout: number
  /** Most total time of a request in ms, whatever its progress (0: none). */
  readonly maxTotalTimeout: number
  /**
   * The client's `initialize`: make sure something can serve `session` and
   * return the server's `initialize` result for the gateway to merge.
   * per-session opens the session's lease with the client's params;
   * shared and per-request return the result of a ready connection, leasing
   * nothing (a handshake must not take a connection away from a request).
   */
  handshake(
    session: Session | undefined,
    initialize: Record<string, unknown>,
    signal: AbortSource,
  ): Promise<Result>
  /**
   * A connection for one request from `origin` (the object `forward` passes
   * as `related`, so per-request sources can attribute server requests).
   * Synchronous when a connection is ready (the hot path); a promise when
   * one must open or be waited for. Throws (or rejects with) an `McpxError`
   * naming the upstream: -32011 when none is free, -32010 when failed or
   * shutting down; call it where a throw becomes a rejection (`forward` does).
   * `maxWait`: the ms the caller can still wait (the time left before its
   * deadline); a source that queues for a free connection waits no longer,
   * then rejects with -32001 naming the upstream.
   */
  lease(
    origin: Origin,
    signal: AbortSource,
    maxWait?: number,
  ): UpstreamLease | Promise<UpstreamLease>
  /** Answer `resources/subscribe` or `resources/unsubscribe` for `session` (shared connections). */
  subscription(session: Session, method: string, params: Params): Promise<Result>
  /** A task-augmented request from `session` created a task: route its statuses there. */
  taskCreated(session: Session, result: unknown): void
  /** Close every connection and forget every session. */
  close(): Promise<void>
}
