import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, type ErrorHandler } from '@mcpx/core'
import { ADDRESS_HEADER, Forwarder, REPLICA_HEADER } from './forward-to-owner.js'
import { fail } from './node-io.js'
import { OwnerSignature } from './owner-signature.js'
import type { SessionDirectory, SessionRegistryOptions } from './session-directory.js'
import type { SessionTable } from './session-table.js'
import type { SessionHooks } from './streamable-http.js'
import type { StreamableHttpSession } from './streamable-http-session.js'

/** What `SessionTable.mint()` makes: only such ids are looked up (junk never reaches the store). */
const SESSION_ID = /^[A-Za-z0-9_-]{24}$/

/** An owner found for a session held elsewhere: the directory's value, its origin checked. */
interface Remembered {
  readonly owner: string
  readonly url: URL
}

/**
 * Most owners remembered. A remembered owner is never wrong in a way that
 * matters: session ids are never reused, so the owner can only have lost the
 * session (it answers 404 itself) or died (the forward fails, and the entry
 * is dropped). Only found owners are remembered: a miss may be a claim still
 * on its way.
 */
const MAX_REMEMBERED = 10_000

/**
 * Milliseconds `close()` waits for the directory calls still in flight (the
 * releases of the sessions it just ended): a directory call settles within
 * its own command timeout (200 ms by default in Redis), and a directory
 * that is down must not hold a shutdown.
 */
const CLOSE_WAIT = 1000

function checkOptions(options: SessionRegistryOptions): URL {
  const { directory, self, secret, connectTimeout } = options
  const fail = (what: string) => new TypeError(`[@mcpx/transports] registry.${what}`)
  for (const method of ['claim', 'touch', 'release', 'owner'] as const) {
    if (typeof directory?.[method] !== 'function')
      throw fail('directory must be a SessionDirectory')
  }
  if (!(Number.isFinite(directory.ttl) && directory.ttl >= 100)) {
    throw fail('directory.ttl must be at least 100 ms')
  }
  // Visible ASCII only: a header value with a newline cannot be sent, and one with edge spaces
  // arrives trimmed, so either would fail every forward, and only at the first misrouted request.
  if (typeof secret !== 'string' || !/^[\x21-\x7e]{16,}$/.test(secret)) {
    throw fail('secret must be at least 16 visible ASCII characters (no spaces or newlines)')
  }
  if (connectTimeout !== undefined && !(connectTimeout > 0))
    throw fail('connectTimeout must be > 0')
  let url: URL | undefined
  try {
    url = new URL(self)
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/') {
    throw fail('self must be an http(s) origin, e.g. http://10.0.0.7:3000')
  }
  return url
}

/**
 * One replica's part in the session registry: it claims the sessions it
 * opens, refreshes them on one timer, releases them when they end, and
 * forwards requests for sessions it does not hold to their owners.
 */
export class SessionRegistry {
  readonly #directory: SessionDirectory
  readonly #self: string
  readonly #secret: Buffer
  readonly #forwarder: Forwarder
  readonly #signature: OwnerSignature
  readonly #onError: ErrorHandler
  #sessions: SessionTable<StreamableHttpSession> | undefined
  #timer: ReturnType<typeof setInterval> | undefined
  #down = false
  /** Whether an unsigned entry was reported since the last refresh. */
  #forgedSeen = false
  /** Owners found for sessions held elsewhere, oldest first: a forwarded request skips the directory. */
  readonly #owners = new Map<string, Remembered>()
  /**
   * The signed owner value of each session this replica holds, made once at
   * its claim for its refreshes and its release. Bounded as the session
   * table is: an entry leaves when its session closes.
   */
  readonly #signed = new Map<string, string>()
  /** Directory calls not settled yet; each leaves when it settles, within the directory's timeout. */
  readonly #pending = new Set<Promise<void>>()
  #closing: Promise<void> | undefined

  constructor(options: SessionRegistryOptions, onError: ErrorHandler) {
    this.#self = checkOptions(options).origin
    this.#directory = options.directory
    this.#secret = Buffer.from(options.secret, 'latin1')
    this.#forwarder = new Forwarder(options.secret, options.connectTimeout ?? 2000)
    this.#signature = new OwnerSignature(options.secret)
    this.#onError = onError
  }

  /** What the Streamable HTTP server tells the registry about its sessions. */
  readonly hooks: SessionHooks = {
    opened: (id) => {
      const owner = this.#signature.sign(id, this.#self)
      this.#signed.set(id, owner)
      this.#call(() => this.#directory.claim(id, owner))
    },
    closed: (id) => {
      const owner = this.#ownValue(id)
      this.#signed.delete(id)
      this.#call(() => this.#directory.release(id, owner))
    },
  }

  /** Start refreshing the sessions of `table`, every `ttl / 3`. */
  bind(table: SessionTable<StreamableHttpSession>): void {
    this.#sessions = table
    this.#timer = setInterval(() => this.#refresh(), this.#directory.ttl / 3)
    // The refresh must not keep the process alive after everything else ended.
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  /**
   * Serve `req` here (`local()`) or forward it to its session's owner. A
   * request with no session id, or with one this replica holds, is served
   * here at the cost of one map lookup. A forwarded request is served with
   * the address of the client the forwarding replica received it from.
   */
  route(req: IncomingMessage, res: ServerResponse, local: (remoteAddress?: string) => void): void {
    const { headers } = req
    const mark = headers[REPLICA_HEADER]
    const address = headers[ADDRESS_HEADER]
    // Only a replica says where a request came from: a client's own claim is dropped unread.
    if (address !== undefined) headers[ADDRESS_HEADER] = undefined
    if (mark !== undefined) {
      if (!this.#trusted(mark)) {
        fail(res, 403, ErrorCode.Forbidden, 'Forbidden: bad replica secret')
        return
      }
      // Loop guard: a forwarded request is served here, or answered 404, never forwarded again.
      // The secret is hidden from what reads the headers next (the authenticate hook). Not
      // `delete`: an object that lost a property turns slow, and with it every site that reads
      // headers, for local requests too (a third of this replica's throughput, measured).
      headers[REPLICA_HEADER] = undefined
      local(typeof address === 'string' ? address : undefined)
      return
    }
    const id = headers['mcp-session-id']
    if (typeof id !== 'string' || !SESSION_ID.test(id) || this.#sessions?.get(id)) {
      local()
      return
    }
    // An owner found before: forwarded at once, without a promise or a directory call.
    const known = this.#owners.get(id)
    if (known !== undefined) this.#forward(id, known.owner, known.url, req, res)
    else {
      this.#lookup(id, req, res, local).catch((error: unknown) => {
        this.#onError(error, { method: undefined })
        if (res.headersSent) res.destroy()
        else fail(res, 500, ErrorCode.InternalError, 'Internal error')
      })
    }
  }

  /**
   * Stop the refresh timer, drop idle connections to other replicas (the
   * forwards in flight finish), and resolve once the directory calls in
   * flight have settled (the releases of the sessions just ended), or after
   * {@link CLOSE_WAIT} ms when the directory does not answer.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    this.#owners.clear()
    this.#forwarder.close()
    if (this.#pending.size === 0) return
    let timer: ReturnType<typeof setTimeout> | undefined
    // What loses the race is only this wait: each call ends by its own timeout.
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT)
    })
    await Promise.race([Promise.allSettled([...this.#pending]), waited])
    clearTimeout(timer)
  }

  async #lookup(id: string, req: IncomingMessage, res: ServerResponse, local: () => void) {
    let owner: string | undefined
    try {
      owner = await this.#directory.owner(id)
      this.#up()
    } catch (error) {
      // Fail open: without the directory a misrouted request is answered here (404).
      this.#failed(error)
      return local()
    }
    if (owner === undefined || this.#sessions?.get(id)) return local()
    const named = owner
    // Checked before anything connects: an entry not signed for this session with the replicas'
    // secret is no owner (Streamable HTTP §Session Management: the client gets 404).
    const url = this.#signature.verify(id, named)
    if (!url) {
      this.#forged()
      return local()
    }
    if (url.origin === this.#self) {
      // Named after this replica but not here (it restarted): the entry is stale.
      this.#call(() => this.#directory.release(id, named))
      return local()
    }
    if (this.#owners.size >= MAX_REMEMBERED) this.#owners.delete(this.#owners.keys().next().value!)
    this.#owners.set(id, { owner: named, url })
    this.#forward(id, named, url, req, res)
  }

  #forward(id: string, owner: string, url: URL, req: IncomingMessage, res: ServerResponse): void {
    if (res.destroyed) return
    // The session ends with this request: nothing more will be sent for it.
    if (req.method === 'DELETE') this.#owners.delete(id)
    this.#forwarder.forward(
      req,
      res,
      url,
      () => {
        this.#forget(id, owner)
        // Streamable HTTP §Session Management: 404 makes the client initialize a new session.
        fail(res, 404, ErrorCode.InvalidRequest, 'Session not found')
      },
      // The owner lost the session (it restarted at the same address): its 404 goes to the client.
      () => this.#forget(id, owner),
    )
  }

  /** Drop what says `owner` holds `id`: the remembered owner, and the entry if it still names it. */
  #forget(id: string, owner: string): void {
    this.#owners.delete(id)
    this.#call(() => this.#directory.release(id, owner))
  }

  #trusted(mark: string | string[]): boolean {
    // Constant time over the secret's length (a wrong length tells only that). Not a digest of
    // each mark: a hash object per forwarded request cost 3.6 µs, ten times this compare.
    if (typeof mark !== 'string' || mark.length !== this.#secret.length) return false
    return timingSafeEqual(Buffer.from(mark, 'latin1'), this.#secret)
  }

  #refresh(): void {
    const table = this.#sessions
    if (!table) return
    this.#forgedSeen = false
    for (const id of table.ids()) {
      const owner = this.#ownValue(id)
      this.#call(() => this.#directory.touch(id, owner))
    }
  }

  /** The signed owner value of a session this replica holds. */
  #ownValue(id: string): string {
    return this.#signed.get(id) ?? this.#signature.sign(id, this.#self)
  }

  #call(send: () => Promise<void>): void {
    let done: Promise<void>
    try {
      done = send()
    } catch (error) {
      this.#failed(error)
      return
    }
    const settled = done.then(
      () => this.#up(),
      (error: unknown) => this.#failed(error),
    )
    this.#pending.add(settled)
    void settled.finally(() => this.#pending.delete(settled))
  }

  #up(): void {
    this.#down = false
  }

  /** One report per outage, not one per request. */
  #failed(error: unknown): void {
    if (this.#down) return
    this.#down = true
    const text =
      '[@mcpx/transports] session directory unavailable: sessions keep working on their ' +
      'replica; a request that reaches another replica gets 404 until it is back (unless that ' +
      'replica remembers the owner)'
    this.#onError(new Error(text, { cause: error }), { method: undefined })
  }

  /**
   * At most one report per refresh period (`ttl / 3`), not one per request:
   * whoever writes such entries decides how many requests meet them.
   */
  #forged(): void {
    if (this.#forgedSeen) return
    this.#forgedSeen = true
    const text =
      "[@mcpx/transports] session directory: refused an entry not signed with the replicas' " +
      "secret (answered 404, not forwarded): something other than this gateway's replicas " +
      'writes to the directory, or a replica has another secret or an older version'
    this.#onError(new Error(text), { method: undefined })
  }
}
