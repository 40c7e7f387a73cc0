import type { ResolvedHttpHealthOptions } from './options.js'
import { unref } from './unref.js'
import { fn } from './validate.js'

/** Options of {@link createHttpHealthCheck}: resolved {@link ResolvedHttpHealthOptions} plus its I/O. */
export interface HttpHealthCheckOptions extends ResolvedHttpHealthOptions {
  /** Makes the GET. @defaultValue globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch
  /** Diagnostics: a line on each change of health, naming no secret. @defaultValue none */
  readonly log?: (line: string) => void
}

/** The state of an upstream's HTTP health endpoint, as the thresholds decide it. */
export interface HttpHealthCheck {
  /** `undefined` until the thresholds decide (the pool treats that as available), then true/false. */
  readonly healthy: boolean | undefined
  /** Call `listener` on each change of `healthy`; returns a function that removes it. */
  onChange(listener: (healthy: boolean) => void): () => void
  /** Stop: clear the timer, abort a check in flight, drop the listeners. Idempotent. */
  close(): void
}

/**
 * Watch an HTTP health endpoint (docs/pool-design.md §3.4): GET `url` at
 * once, then `interval` ms after each check ends (so checks never overlap),
 * each aborted after `timeout` ms. A 2xx is a success; any other status (a
 * redirect included: a health endpoint answers for itself), a network error
 * or a timeout is a failure. `healthyThreshold` successes in a row make it
 * healthy, `unhealthyThreshold` failures in a row unhealthy. It reads no
 * body, never throws from a check, and its timers are `unref`'d.
 *
 * @example
 * ```ts
 * const check = createHttpHealthCheck(resolvePoolOptions({ health: { http: { url } } }).health.http!)
 * const off = check.onChange((healthy) => health.report('files', 'pool', healthy ? 'ready' : 'unhealthy'))
 * // … on close:
 * off()
 * check.close()
 * ```
 */
export function createHttpHealthCheck(options: HttpHealthCheckOptions): HttpHealthCheck {
  // The options come resolved (resolvePoolOptions checked the URL and the numbers).
  const o = options
  const url = new URL(o.url)
  const fetch = fn('createHttpHealthCheck() fetch', o.fetch, globalThis.fetch)
  // fetch refuses a URL with credentials (Fetch §Request constructor): they travel as Basic auth.
  const authorization = url.username || url.password ? basicAuth(url) : undefined
  url.username = ''
  url.password = ''
  url.hash = ''
  return new HttpProbe(
    {
      url: url.href,
      headers: authorization === undefined ? undefined : { authorization },
      // Logs get the endpoint without userinfo, query or fragment: those may hold tokens.
      shown: `${url.origin}${url.pathname}`,
      interval: o.interval,
      timeout: o.timeout,
      healthyThreshold: o.healthyThreshold,
      unhealthyThreshold: o.unhealthyThreshold,
    },
    fetch,
    fn('createHttpHealthCheck() log', o.log, () => {}),
  )
}

interface ProbeSettings extends ResolvedHttpHealthOptions {
  readonly headers: Record<string, string> | undefined
  readonly shown: string
}

type Listener = (healthy: boolean) => void

class HttpProbe implements HttpHealthCheck {
  healthy: boolean | undefined = undefined
  readonly #settings: ProbeSettings
  readonly #fetch: typeof globalThis.fetch
  readonly #log: (line: string) => void
  readonly #listeners = new Set<Listener>()
  /** Made once: the chain of checks allocates nothing per check beyond the GET itself. */
  readonly #next = () => void this.#check()
  #successes = 0
  #failures = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #inFlight: AbortController | undefined
  #closed = false

  constructor(
    settings: ProbeSettings,
    fetch: typeof globalThis.fetch,
    log: (line: string) => void,
  ) {
    this.#settings = settings
    this.#fetch = fetch
    this.#log = (line) => {
      try {
        log(line)
      } catch {}
    }
    void this.#check()
  }

  onChange(listener: Listener): () => void {
    if (this.#closed) return () => {}
    // A wrapper per registration, so registering one function twice gives two independent removals.
    const entry: Listener = (healthy) => listener(healthy)
    this.#listeners.add(entry)
    return () => {
      this.#listeners.delete(entry)
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#inFlight?.abort()
    this.#listeners.clear()
  }

  async #check(): Promise<void> {
    this.#timer = undefined
    const failure = await this.#probe()
    if (this.#closed) return
    if (failure === undefined) this.#succeeded()
    else this.#failed(failure)
    if (this.#closed) return // a listener closed it
    this.#timer = unref(setTimeout(this.#next, this.#settings.interval))
  }

  /** One GET; resolves to why it failed, or undefined for a 2xx. Never rejects. */
  async #probe(): Promise<string | undefined> {
    const { url, headers, timeout } = this.#settings
    const controller = new AbortController()
    this.#inFlight = controller
    let timedOut = false
    // A timeout aborts the request (and its socket), it does not merely stop waiting (STYLE).
    const timer = unref(
      setTimeout(() => {
        timedOut = true
        controller.abort()
      }, timeout),
    )
    // Called unbound: a browser's fetch refuses any `this` but the global one.
    const fetch = this.#fetch
    try {
      const response = await fetch(url, {
        method: 'GET',
        headers,
        redirect: 'manual',
        signal: controller.signal,
      })
      // The status is the answer: the body is never read, and cancelling it frees the socket.
      response.body?.cancel().catch(() => {})
      if (response.status >= 200 && response.status < 300) return undefined
      // A browser's manual redirect is opaque (status 0); Node's keeps the 3xx.
      return response.type === 'opaqueredirect' ? 'redirected' : `answered HTTP ${response.status}`
    } catch (error) {
      if (timedOut) return `did not answer within ${timeout} ms`
      return `could not be reached (${causeOf(error)})`
    } finally {
      clearTimeout(timer)
      if (this.#inFlight === controller) this.#inFlight = undefined
    }
  }

  #succeeded(): void {
    this.#failures = 0
    this.#successes++
    if (this.healthy !== true && this.#successes >= this.#settings.healthyThreshold) {
      if (this.healthy === false) {
        this.#log(
          `health check of ${this.#settings.shown} passes again (${this.#successes} in a row)`,
        )
      }
      this.#set(true)
    }
  }

  #failed(reason: string): void {
    this.#successes = 0
    this.#failures++
    const { unhealthyThreshold, shown } = this.#settings
    if (this.healthy !== false && this.#failures >= unhealthyThreshold) {
      this.#log(
        `health check of ${shown} failed: ${reason} (${this.#failures} in a row): unhealthy`,
      )
      this.#set(false)
    }
  }

  #set(healthy: boolean): void {
    this.healthy = healthy
    for (const listener of [...this.#listeners]) {
      try {
        listener(healthy)
      } catch (error) {
        // The chain of checks must outlive a faulty listener; it runs from a timer, where a throw would crash.
        this.#log(`a health listener threw: ${causeOf(error)}`)
      }
    }
  }
}

/**
 * A network error's kind without its text: undici's `fetch failed` wraps an
 * error whose `code` says it (`ECONNREFUSED`), and messages may quote the host.
 */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause
  for (const candidate of [cause, error]) {
    const code = (candidate as { code?: unknown } | null)?.code
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code
  }
  const name = (error as { name?: unknown } | null)?.name
  return typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : 'error'
}

/** RFC 7617: `Basic base64(user ":" password)`, the pair as UTF-8. */
function basicAuth(url: URL): string {
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part)
    } catch {
      return part
    }
  }
  let binary = ''
  for (const byte of new TextEncoder().encode(`${decode(url.username)}:${decode(url.password)}`)) {
    binary += String.fromCharCode(byte)
  }
  return `Basic ${btoa(binary)}`
}
