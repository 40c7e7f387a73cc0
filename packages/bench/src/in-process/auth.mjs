// pnpm bench (part), pnpm bench:auth: @mcpx/auth's jwt() on a typical
// access token. The warm path (a verified-token cache hit) beside a floor
// (an async authenticator that returns a fixed principal) and jose's
// jwtVerify of the same token; authenticate(jwt()) in a proxy beside an
// empty stack; and cold verification (cache: false) of HS256, RS256, ES256
// and EdDSA tokens beside jose's jwtVerify with the same key and checks.
import os from 'node:os'
import { authenticate, jwt } from '@mcpx/auth'
import { createProxy } from '@mcpx/core'
import { exportSPKI, generateKeyPair, importSPKI, jwtVerify, SignJWT } from 'jose'
import { batchFor, budget, measure, table } from './measure.mjs'

const ISSUER = 'https://auth.example.com'
const AUDIENCE = 'https://mcp.example.com'
/** The whole run stops measuring after this long; later sections are skipped. */
const overBudget = budget(120_000)

/** An RFC 9068 access token's claims: 10 of them, scope included, valid for an hour. */
function claims() {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: ISSUER,
    sub: 'user-8c1f2a',
    aud: AUDIENCE,
    client_id: 'mcp-inspector',
    scope: 'tools:read tools:call resources:read prompts:read',
    iat: now,
    nbf: now,
    exp: now + 3600,
    jti: '4f9d1c0e-6a2b-4b57-9d1e-0c3f8e2a7b61',
    auth_time: now - 60,
  }
}

const SECRET = new TextEncoder().encode('a-benchmark-secret-of-at-least-32-bytes!')

/** A signed token, the key jose verifies it with (imported once, as jwt() does) and jwt()'s key option. */
async function keyed(alg) {
  const header = { alg, typ: 'at+jwt', kid: `${alg}-1` }
  if (alg === 'HS256') {
    const token = await new SignJWT(claims()).setProtectedHeader(header).sign(SECRET)
    const hmac = { name: 'HMAC', hash: 'SHA-256' }
    const joseKey = await crypto.subtle.importKey('raw', SECRET, hmac, false, ['verify'])
    return { alg, token, joseKey, option: { secret: SECRET } }
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const pem = await exportSPKI(publicKey)
  const token = await new SignJWT(claims()).setProtectedHeader(header).sign(privateKey)
  return { alg, token, joseKey: await importSPKI(pem, alg), option: { key: pem } }
}

const common = (alg) => ({ algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt' })
/** jose with the checks jwt() asks of it (jwt() adds the future-iat and principal checks). */
const joseOptions = (alg) => ({
  ...common(alg),
  issuer: [ISSUER],
  audience: [AUDIENCE],
  requiredClaims: ['exp'],
  clockTolerance: 0,
})
/** What an HTTP front end hands an authenticator: lower-case headers and the URL. */
const credentials = (token) => ({ headers: { authorization: `Bearer ${token}` }, url: '/mcp' })

/** Every operation is checked once before it is timed, so that no variant times a refusal. */
async function checked(variants, expect) {
  for (const [name, op] of Object.entries(variants)) {
    const outcome = await op()
    if (!expect(outcome)) throw new Error(`${name} did not do its job: ${JSON.stringify(outcome)}`)
  }
  return variants
}

const ns = (value) => value.toFixed(0)
const us = (value) => (value / 1000).toFixed(2)
const ratio = (value) => value.toFixed(2)

const isPrincipal = (p) => typeof p?.subject === 'string' && p.scopes.length === 4

/**
 * An Authorization header that is a new string every time it is read,
 * decoded from bytes as node:http does for each request, so that nothing can
 * profit from a string's identity or its cached hash.
 */
function freshHeader(token) {
  const bytes = Buffer.from(`Bearer ${token}`, 'latin1')
  return () => bytes.latin1Slice(0, bytes.length)
}

/**
 * The floor is an async authenticator that returns a fixed principal: the
 * cost of the call and its await, which jwt() cannot go below. Two groups:
 * the same request object every message, then a new header string every
 * message (each group beside its own floor, which pays the decoding too).
 */
async function warm(hs, rs) {
  const verify = {
    hs: jwt({ ...common('HS256'), ...hs.option }),
    rs: jwt({ ...common('RS256'), ...rs.option }),
  }
  const fixed = await verify.hs(credentials(hs.token))
  const floor = async (_credentials) => fixed
  const same = { hs: credentials(hs.token), rs: credentials(rs.token) }
  const fresh = { hs: freshHeader(hs.token), rs: freshHeader(rs.token) }
  const request = (header) => ({ headers: { authorization: header() }, url: '/mcp' })
  const reused = await checked(
    {
      floor: () => floor(same.hs),
      hs: () => verify.hs(same.hs),
      rs: () => verify.rs(same.rs),
    },
    isPrincipal,
  )
  const renewed = await checked(
    {
      floor: () => floor(request(fresh.hs)),
      hs: () => verify.hs(request(fresh.hs)),
      floorRs: () => floor(request(fresh.rs)),
      rs: () => verify.rs(request(fresh.rs)),
    },
    isPrincipal,
  )
  const baseline = await checked(
    {
      hs: reused.hs,
      jose: () =>
        jwtVerify(hs.token, hs.joseKey, joseOptions('HS256')).then((r) => ({
          subject: r.payload.sub,
          scopes: r.payload.scope.split(' '),
        })),
    },
    isPrincipal,
  )
  const a = await measure(reused, { rounds: 41, batch: await batchFor(reused, 4) })
  const b = await measure(renewed, { rounds: 41, batch: await batchFor(renewed, 4) })
  // jose's verification costs ~1,000 cache hits: its own run, batches sized for it.
  const c = await measure(baseline, { rounds: 21, batch: await batchFor(baseline, 10) })
  const row = (name, result, key, floorKey = 'floor') => [
    name,
    ns(result[key]),
    key === floorKey ? '' : ns(result[key] - result[floorKey]),
    key === floorKey ? '1.00' : ratio(result.ratios[key] / result.ratios[floorKey]),
  ]
  const lengths = `HS256 ${hs.token.length} chars, RS256 ${rs.token.length}`
  const rows = table(
    ['per message', 'median ns', 'over its floor, ns', 'ratio to its floor (paired medians)'],
    [
      row('floor: async authenticator returning a fixed principal', a, 'floor'),
      row('jwt(), warm cache, HS256 token', a, 'hs'),
      row('jwt(), warm cache, RS256 token', a, 'rs'),
      row('floor, HS256 header a new string each message', b, 'floor'),
      row('jwt(), warm cache, HS256, header a new string each message', b, 'hs'),
      row('floor, RS256 header a new string each message', b, 'floorRs', 'floorRs'),
      row('jwt(), warm cache, RS256, header a new string each message', b, 'rs', 'floorRs'),
      ['jose jwtVerify of the HS256 token (no cache), same key', ns(c.jose), '', ''],
    ],
  )
  // A new string each message costs jwt() what comes over its floor, plus the call itself.
  const perMessage = (key, floorKey) => ns(a.floor + b[key] - b[floorKey])
  return [
    `Tokens: ${lengths}.\n\n${rows}\n`,
    `jose jwtVerify / jwt() warm (HS256, paired): ${ratio(c.ratios.jose)}×.`,
    'jwt() warm per message with a new header string each time (floor + what comes over the floor):',
    `HS256 ${perMessage('hs', 'floor')} ns, RS256 ${perMessage('rs', 'floorRs')} ns.`,
  ].join('\n')
}

/** A tools/call whose session carries a new Authorization header string each message. */
async function middleware(rs) {
  const message = {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'echo', arguments: { text: 'hi' } },
  }
  const terminal = async (ctx) => {
    ctx.result = { content: [{ type: 'text', text: ctx.params.arguments.text }] }
  }
  const header = freshHeader(rs.token)
  const options = () => ({
    session: {
      id: 'session-1',
      transport: 'streamable-http',
      headers: { authorization: header() },
    },
  })
  const verify = jwt({ ...common('RS256'), ...rs.option })
  const fixed = await verify({ headers: { authorization: header() } })
  const empty = createProxy({ terminal, strict: false })
  const floor = createProxy({ terminal, strict: false }).use(authenticate(async () => fixed))
  const authed = createProxy({ terminal, strict: false }).use(authenticate(verify))
  const variants = await checked(
    {
      'empty stack': () => empty.handle(message, options()),
      'authenticate(fixed principal)': () => floor.handle(message, options()),
      'authenticate(jwt()), warm cache, RS256': () => authed.handle(message, options()),
    },
    (response) => response?.result?.content?.[0]?.text === 'hi',
  )
  const result = await measure(variants, { rounds: 41, batch: await batchFor(variants, 4) })
  const base = result['empty stack']
  return table(
    ['tools/call through createProxy', 'median ns', 'over empty, ns', 'ratio to empty (paired)'],
    Object.keys(variants).map((name) => [
      name,
      ns(result[name]),
      name === 'empty stack' ? '' : ns(result[name] - base),
      ratio(result.ratios[name]),
    ]),
  )
}

/** How many verifications are in flight at once in the throughput columns. */
const IN_FLIGHT = 32

/**
 * One verification at a time measures latency, most of it WebCrypto's hop to
 * the libuv thread pool and back; 32 in flight keep both cores busy and
 * measure the CPU each verification costs.
 */
async function cold(tokens) {
  const rows = []
  for (const key of tokens) {
    if (overBudget(`cold ${key.alg}`)) break
    const verify = jwt({ ...common(key.alg), ...key.option, cache: false })
    const request = credentials(key.token)
    const options = joseOptions(key.alg)
    const single = await checked(
      {
        jose: () => jwtVerify(key.token, key.joseKey, options).then((r) => r.payload),
        jwt: () => verify(request),
      },
      (outcome) => outcome?.sub === 'user-8c1f2a' || outcome?.subject === 'user-8c1f2a',
    )
    const inFlight = (op) => () => Promise.all(Array.from({ length: IN_FLIGHT }, op))
    const many = { jose: inFlight(single.jose), jwt: inFlight(single.jwt) }
    const one = await measure(single, { rounds: 31, batch: await batchFor(single, 10) })
    const all = await measure(many, { rounds: 31, batch: await batchFor(many, 10, 1000) })
    rows.push([
      key.alg,
      us(one.jose),
      us(one.jwt),
      ratio(one.ratios.jwt),
      us(all.jose / IN_FLIGHT),
      us(all.jwt / IN_FLIGHT),
      ratio(all.ratios.jwt),
    ])
  }
  return table(
    [
      'algorithm',
      'jose jwtVerify µs, one at a time',
      'jwt({ cache: false }) µs',
      'jwt / jose (paired)',
      `jose µs per verification, ${IN_FLIGHT} in flight`,
      'jwt({ cache: false }) µs',
      'jwt / jose (paired)',
    ],
    rows,
  )
}

const [hs, rs, es, ed] = await Promise.all(['HS256', 'RS256', 'ES256', 'EdDSA'].map(keyed))
console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log('\n### auth: jwt() with a warm verified-token cache\n')
console.log(await warm(hs, rs))
if (!overBudget('middleware')) {
  console.log('\n### auth: authenticate(jwt()) in a proxy, tools/call to an in-memory upstream\n')
  console.log(await middleware(rs))
}
console.log(
  '\n### auth: cold verification (cache: false) against jose jwtVerify, same key and checks\n',
)
console.log(await cold([hs, rs, es, ed]))
