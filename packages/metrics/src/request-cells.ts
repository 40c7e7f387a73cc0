// What metrics() counts per message, kept so that the hot path joins no
// string and allocates nothing once a label set exists: nested Maps keyed by
// method, then upstream, then tool, each ending in a Cell that holds the
// outcome counts and the latency histogram of that label set. Every label
// is bounded: methods to the MCP list (and the configured extras), upstreams
// and tools to a count, the cells to the registry's series budget.
import type { Bounds } from './buckets.js'
import { labelPairs } from './exposition.js'
import type { FoldCount, RegistryInternals } from './internals.js'
import { wellFormed } from './names.js'
import { admits, outcomes } from './outcomes.js'
import { OTHER } from './series-tree.js'

export const REQUESTS = 'mcpx_requests_total'
export const CLIENT_REQUESTS = 'mcpx_client_requests_total'
/** Longer names are never a label value of their own (MCP asks tool names of at most 128 characters). */
const MAX_NAME = 128
const MAX_CLIENT = 256

/** One label set: its outcome counts and latency histogram (in ms; the exposition writes seconds). */
export class Cell {
  readonly outcomes = new Float64Array(outcomes.length)
  readonly counts: Float64Array
  sumMs = 0
  count = 0
  minMs = Number.POSITIVE_INFINITY
  maxMs = Number.NEGATIVE_INFINITY

  constructor(
    /** The escaped label pairs, without `outcome`. */
    readonly pairs: string,
    readonly method: string,
    readonly upstream: string,
    readonly tool: string,
    /** On a client cell: the client ('' on a message cell). */
    readonly client: string,
    buckets: number,
  ) {
    this.counts = new Float64Array(buckets + 1)
  }

  add(slot: number, bucket: number, ms: number): void {
    ;(this.outcomes[slot] as number)++
    ;(this.counts[bucket] as number)++
    this.sumMs += ms
    this.count++
    if (ms < this.minMs) this.minMs = ms
    if (ms > this.maxMs) this.maxMs = ms
  }
}

interface UpstreamNode {
  readonly name: string
  plain: Cell | undefined
  readonly tools: Map<string, Cell>
}
interface MethodNode {
  readonly name: string
  readonly upstreams: Map<string, UpstreamNode>
}

export interface RequestLimits {
  readonly methods: ReadonlySet<string>
  readonly maxUpstreams: number
  readonly maxTools: number
  readonly maxClients: number
}

export class RequestCells {
  readonly #inner: RegistryInternals
  readonly #limits: RequestLimits
  readonly #buckets: number
  #methods = new Map<string, MethodNode>()
  #upstreams = new Set<string>()
  #tools = new Set<string>()
  #clients = new Map<string, Cell>()
  /** Messages folded into other, per label (`series`: the cap), as `mcpx_label_values_folded_total` shows them. */
  readonly folds: Readonly<Record<'method' | 'upstream' | 'tool' | 'series', FoldCount>>
  readonly clientFolds: Readonly<Record<'client' | 'series', FoldCount>>
  #overflow: Cell | undefined
  #clientOverflow: Cell | undefined
  /** Every message cell, in the order made (the overflow cell once made). */
  cells: Cell[] = []
  clientCells: Cell[] = []

  constructor(inner: RegistryInternals, limits: RequestLimits, bounds: Bounds) {
    this.#inner = inner
    this.#limits = limits
    this.#buckets = bounds.values.length
    this.folds = {
      method: inner.folds(REQUESTS, 'method'),
      upstream: inner.folds(REQUESTS, 'upstream'),
      tool: inner.folds(REQUESTS, 'tool'),
      series: inner.folds(REQUESTS, 'series'),
    }
    // Without a client family, its rows are not shown.
    this.clientFolds =
      limits.maxClients > 0
        ? {
            client: inner.folds(CLIENT_REQUESTS, 'client'),
            series: inner.folds(CLIENT_REQUESTS, 'series'),
          }
        : { client: { n: 0 }, series: { n: 0 } }
  }

  /** The cell of a message; `slot` is its outcome (only some give a new tool a label value). */
  cell(method: string, upstream: string, tool: string, slot: number, known: boolean): Cell {
    const m = this.#methods.get(method) ?? this.#method(method)
    const u = m.upstreams.get(upstream) ?? this.#upstream(m, upstream)
    if (tool === '') return u.plain ?? this.#make(m, u, '')
    return u.tools.get(tool) ?? this.#tool(m, u, tool, slot, known)
  }

  client(id: string): Cell {
    return this.#clients.get(id) ?? this.#client(id)
  }

  /** Drop every cell and every admitted value: a fresh start, the budget given back. */
  reset(): void {
    const held =
      this.cells.length -
      (this.#overflow ? 1 : 0) +
      (this.clientCells.length - (this.#clientOverflow ? 1 : 0))
    this.#inner.release(held)
    this.#methods = new Map()
    this.#upstreams = new Set()
    this.#tools = new Set()
    this.#clients = new Map()
    this.#overflow = undefined
    this.#clientOverflow = undefined
    this.cells = []
    this.clientCells = []
    for (const count of [...Object.values(this.folds), ...Object.values(this.clientFolds)]) {
      count.n = 0
    }
  }

  #method(method: string): MethodNode {
    let name = method
    if (!this.#limits.methods.has(method)) {
      this.folds.method.n++
      name = OTHER
      const other = this.#methods.get(OTHER)
      if (other !== undefined) return other
    }
    const node: MethodNode = { name, upstreams: new Map() }
    this.#methods.set(name, node)
    return node
  }

  #upstream(m: MethodNode, upstream: string): UpstreamNode {
    const shown = wellFormed(upstream)
    if (shown !== upstream) return m.upstreams.get(shown) ?? this.#upstream(m, shown)
    let name = upstream
    const admitted = this.#upstreams
    if (upstream !== '' && upstream !== OTHER && !admitted.has(upstream)) {
      if (upstream.length > MAX_NAME || admitted.size >= this.#limits.maxUpstreams) {
        this.folds.upstream.n++
        name = OTHER
        const other = m.upstreams.get(OTHER)
        if (other !== undefined) return other
      } else {
        admitted.add(upstream)
      }
    }
    const node: UpstreamNode = { name, plain: undefined, tools: new Map() }
    m.upstreams.set(name, node)
    return node
  }

  #tool(m: MethodNode, u: UpstreamNode, tool: string, slot: number, known: boolean): Cell {
    const shown = wellFormed(tool)
    if (shown !== tool) return u.tools.get(shown) ?? this.#tool(m, u, shown, slot, known)
    const admitted = this.#tools
    if (tool === OTHER || admitted.has(tool)) return this.#make(m, u, tool)
    if (
      tool.length <= MAX_NAME &&
      (known || admits[slot]) &&
      admitted.size < this.#limits.maxTools
    ) {
      admitted.add(tool)
      return this.#make(m, u, tool)
    }
    this.folds.tool.n++
    return u.tools.get(OTHER) ?? this.#make(m, u, OTHER)
  }

  /** A new cell under `m` and `u` (their names are the admitted ones), or the overflow cell. */
  #make(m: MethodNode, u: UpstreamNode, tool: string): Cell {
    const upstream = u.name
    if (m.name === OTHER && upstream === OTHER && tool === OTHER) return this.#overflowCell()
    if (!this.#inner.take()) {
      this.folds.series.n++
      return this.#overflowCell()
    }
    const pairs = labelPairs(['method', 'upstream', 'tool'], [m.name, upstream, tool])
    const cell = new Cell(pairs, m.name, upstream, tool, '', this.#buckets)
    if (tool === '') u.plain = cell
    else u.tools.set(tool, cell)
    this.cells.push(cell)
    return cell
  }

  #overflowCell(): Cell {
    if (this.#overflow === undefined) {
      const pairs = labelPairs(['method', 'upstream', 'tool'], [OTHER, OTHER, OTHER])
      this.#overflow = new Cell(pairs, OTHER, OTHER, OTHER, '', this.#buckets)
      this.cells.push(this.#overflow)
    }
    return this.#overflow
  }

  #client(id: string): Cell {
    const shown = wellFormed(id)
    if (shown !== id) return this.#clients.get(shown) ?? this.#client(shown)
    if (id !== OTHER && id.length <= MAX_CLIENT && this.#clients.size < this.#limits.maxClients) {
      if (this.#inner.take()) {
        const cell = new Cell(labelPairs(['client'], [id]), '', '', '', id, this.#buckets)
        this.#clients.set(id, cell)
        this.clientCells.push(cell)
        return cell
      }
      this.clientFolds.series.n++
    } else if (id !== OTHER) {
      this.clientFolds.client.n++
    }
    if (this.#clientOverflow === undefined) {
      this.#clientOverflow = new Cell(
        labelPairs(['client'], [OTHER]),
        '',
        '',
        '',
        OTHER,
        this.#buckets,
      )
      this.clientCells.push(this.#clientOverflow)
    }
    return this.#clientOverflow
  }
}
