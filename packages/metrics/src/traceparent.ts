// A strict codec of the W3C Trace Context `traceparent` and a guard for
// `tracestate` (https://www.w3.org/TR/trace-context/). Ours, not
// @opentelemetry/api's propagator: that one is a no-op until an SDK
// registers a propagator, and a proxy that does not trace must still pass a
// client's trace context on (§3.2.2.5, §3.3).

/** The fields of a `traceparent`, as lower-case hex. */
export interface TraceParent {
  /** 32 hex digits, not all zero. */
  readonly traceId: string
  /** 16 hex digits, not all zero: the caller's span. */
  readonly spanId: string
  /** The trace flags byte (bit 0: sampled). */
  readonly flags: number
}

const VERSION_00_LENGTH = 55
/** §3.3.1.3.2: tracestate has at most 32 list members; 512 characters are what a vendor must propagate. */
const MAX_TRACESTATE_MEMBERS = 32
const MAX_TRACESTATE = 512

/** The value of a lower-case hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  return -1
}

/** Whether `s[from, to)` is lower-case hex and, when `nonZero`, not all zeros. */
function isHex(s: string, from: number, to: number, nonZero: boolean): boolean {
  let any = false
  for (let i = from; i < to; i++) {
    const v = hexValue(s.charCodeAt(i))
    if (v < 0) return false
    if (v !== 0) any = true
  }
  return any || !nonZero
}

/**
 * Parse a `traceparent` (§3.2): `version-traceid-parentid-flags`, lower-case
 * hex. Version `ff` is refused, and so are an all-zero trace or parent id,
 * upper case and any other shape. Version `00` is exactly 55 characters; a
 * later version may be longer (its extra fields, after a `-`, are ignored, §3.2.4).
 * Never throws: anything that is not a valid value is undefined.
 */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length < VERSION_00_LENGTH) return undefined
  const version0 = hexValue(value.charCodeAt(0))
  const version1 = hexValue(value.charCodeAt(1))
  if (version0 < 0 || version1 < 0) return undefined
  const version = version0 * 16 + version1
  if (version === 0xff) return undefined
  if (
    version === 0
      ? value.length !== VERSION_00_LENGTH
      : value.length > VERSION_00_LENGTH && value.charCodeAt(VERSION_00_LENGTH) !== 0x2d
  ) {
    return undefined
  }
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined
  if (!isHex(value, 3, 35, true) || !isHex(value, 36, 52, true) || !isHex(value, 53, 55, false)) {
    return undefined
  }
  return {
    traceId: value.slice(3, 35),
    spanId: value.slice(36, 52),
    flags: hexValue(value.charCodeAt(53)) * 16 + hexValue(value.charCodeAt(54)),
  }
}

/** A `traceparent` of version `00` (the only one this writes, §3.2.4). */
export function formatTraceparent(parent: TraceParent): string {
  const flags = parent.flags & 0xff
  return `00-${parent.traceId}-${parent.spanId}-${flags < 16 ? '0' : ''}${flags.toString(16)}`
}

/**
 * `tracestate` as it may be passed on: a string of printable ASCII (§3.3.1.1:
 * keys and values are printable ASCII; what an HTTP header can carry) of at
 * most 512 characters, else undefined. Its members are not parsed: a
 * proxy passes them on as they are (§3.3.1.3).
 */
export function checkTracestate(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_TRACESTATE) return undefined
  let members = 1
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) return undefined
    // At most 32 list members (§3.3.1.1); empty ones between commas count too, as they would be sent.
    if (c === 0x2c && ++members > MAX_TRACESTATE_MEMBERS) return undefined
  }
  return value
}
