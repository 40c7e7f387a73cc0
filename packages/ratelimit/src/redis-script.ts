// The Redis store's one Lua script: every check of a message evaluated with the
// algorithms' own arithmetic (token-bucket.ts, fixed-window.ts,
// sliding-window.ts), written only when all allow. Time is Redis's (TIME), so
// that gateway replicas with skewed clocks still agree.
import { createHash } from 'node:crypto'
import type { AlgorithmKind, Check } from './types.js'

/** The script's code for each algorithm. */
export const KIND_CODE: Readonly<Record<AlgorithmKind, string>> = {
  'token-bucket': '1',
  'fixed-window': '2',
  'sliding-window': '3',
}

/** Words of ARGV per check: kind, the two parameters, cost, ttlMs. */
export const ARGS_PER_CHECK = 5

/**
 * KEYS[i]: check i's state, a string of space-separated numbers (the state
 * array of types.ts). ARGV[5i+1..5i+5]: kind, param 1, param 2, cost, ttlMs.
 * Returns 4 integers per check: allowed (1/0), remaining, retryAfterMs,
 * resetMs; -1 stands for Infinity. Two checks on one key see each other as
 * memoryStore's do: the second starts from the first's state once charged.
 */
export const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local INF = math.huge
local n = #KEYS
local states, nexts, out = {}, {}, {}
local all = true

-- A state that is not size numbers (another algorithm's, or damaged) is read as none.
local function load(key, size)
  local s = nexts[key]
  if s ~= nil then return s end
  local raw = redis.call('GET', key)
  if not raw then return false end
  s = {}
  for word in string.gmatch(raw, '%S+') do
    local value = tonumber(word)
    if value == nil then return false end
    s[#s + 1] = value
  end
  if #s ~= size then return false end
  return s
end
local sizes = {2, 2, 3}

local function tokenBucket(s, cap, perSecond, cost)
  local r = perSecond / 1000
  local tokens = cap
  if s then tokens = math.min(cap, s[1] + math.max(0, now - s[2]) * r) end
  local allowed = cost <= tokens
  local left = tokens
  if allowed then left = tokens - cost end
  local retry = 0
  if not allowed then
    if cost > cap then retry = INF else
      retry = math.ceil((cost - tokens) / r)
      -- One more when rounding leaves the bucket a hair short then (as token-bucket.ts does).
      if s and s[1] + math.max(0, now + retry - s[2]) * r < cost then retry = retry + 1 end
    end
  end
  return allowed, {left, now}, math.floor(left), retry, math.ceil((cap - left) / r)
end

local function fixedWindow(s, limit, w, cost)
  local index = math.floor(now / w)
  -- A clock that stepped back (an NTP step, a failover) must not reopen a spent window.
  if s and s[1] > index then index = s[1] end
  local count = 0
  if s and s[1] == index then count = s[2] end
  local allowed = count + cost <= limit
  if allowed then count = count + cost end
  local reset = (index + 1) * w - now
  local retry = 0
  if not allowed then
    if cost > limit then retry = INF else retry = reset end
  end
  return allowed, {index, count}, math.floor(limit - count), retry, reset
end

-- The estimate slidingWindow makes at time t from the state it keeps now, computed the way it
-- computes it (sliding-window.ts estimateAt).
local function slidingEstimate(w, index, current, previous, t)
  local at = math.max(index, math.floor(t / w))
  if at == index then return previous * (1 - math.max(0, t - at * w) / w) + current end
  if at == index + 1 then return current * (1 - math.max(0, t - at * w) / w) + 0 end
  return 0
end

local function slidingWindow(s, limit, w, cost)
  local index = math.floor(now / w)
  if s and s[1] > index then index = s[1] end
  local current, previous = 0, 0
  if s then
    if s[1] == index then current, previous = s[2], s[3]
    elseif s[1] == index - 1 then previous = s[2] end
  end
  local start = index * w
  local estimate = previous * (1 - math.max(0, now - start) / w) + current
  local allowed = estimate + cost <= limit
  local used = estimate
  if allowed then
    current = current + cost
    used = estimate + cost
  end
  local retry = 0
  if not allowed then
    if cost > limit then retry = INF
    else
      local at
      if previous > 0 and current + cost <= limit then
        at = start + w * (1 - (limit - current - cost) / previous)
      else
        at = start + w + w * math.max(0, 1 - (limit - cost) / current)
      end
      retry = math.max(1, math.ceil(at - now))
      -- The formula is exact, doubles are not: the first millisecond this check's own
      -- arithmetic passes at (the estimate only falls, and is 0 two windows on).
      while slidingEstimate(w, index, current, previous, now + retry) + cost > limit do
        retry = retry + 1
      end
      while retry > 1 and slidingEstimate(w, index, current, previous, now + retry - 1) + cost <= limit do
        retry = retry - 1
      end
    end
  end
  local reset = start + w - now
  if current > 0 then reset = start + 2 * w - now end
  return allowed, {index, current, previous}, math.max(0, math.floor(limit - used)), retry, reset
end

local evaluate = {tokenBucket, fixedWindow, slidingWindow}
local function int(x)
  if x ~= x or x == INF then return -1 end
  return x
end

for i = 1, n do
  local a = (i - 1) * 5
  local kind = tonumber(ARGV[a + 1])
  local key = KEYS[i]
  local s = load(key, sizes[kind])
  local allowed, state, remaining, retry, reset =
    evaluate[kind](s, tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]))
  if allowed then
    nexts[key] = state
    states[i] = state
  else
    all = false
  end
  local o = (i - 1) * 4
  out[o + 1] = allowed and 1 or 0
  out[o + 2] = int(remaining)
  out[o + 3] = int(retry)
  out[o + 4] = int(reset)
end

if all then
  for i = 1, n do
    local parts = {}
    for k, v in ipairs(states[i]) do parts[k] = string.format('%.17g', v) end
    redis.call('SET', KEYS[i], table.concat(parts, ' '), 'PX', ARGV[(i - 1) * 5 + 5])
  end
end
return out
`

/** The script's SHA1, the name EVALSHA calls it by. */
export const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex')

/** Appends check's ARGV words (see {@link SCRIPT}) to `args`. */
export function pushArgs(args: (string | number)[], check: Check): void {
  const { algorithm } = check
  args.push(
    KIND_CODE[algorithm.kind],
    algorithm.params[0]!,
    algorithm.params[1]!,
    check.cost,
    Math.ceil(algorithm.ttlMs),
  )
}
