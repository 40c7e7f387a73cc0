// npx -y pnpm@10.34.8 --filter @mcpx/examples example:multi-replica
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { BUDGET, MissingError, start } from './replicas.js'

const replicas = await start().catch((error: unknown) => {
  if (!(error instanceof MissingError)) throw error
  console.error(`multi-replica: ${error.message}`)
  process.exit(1)
})
const { a, b } = replicas
const where = (url: string | URL) => (new URL(url).origin === a.origin ? 'A' : 'B')
console.log(`redis-server on ${replicas.redisUrl}${replicas.ownRedis ? ' (started here)' : ''}`)
console.log(`replica A on ${a}, replica B on ${b}`)

/** A load balancer that does not stick sessions: each method's requests go to A, B, A, … */
const arrivals: { to: 'A' | 'B'; method: string }[] = []
const turns = new Map<string, number>()
const alternating: typeof fetch = (input, init) => {
  const method = init?.method ?? 'GET'
  const turn = turns.get(method) ?? 0
  turns.set(method, turn + 1)
  const to = turn % 2 === 0 ? a : b
  if (method === 'POST')
    arrivals.push({ to: where(to), method: JSON.parse(`${init?.body}`).method })
  const { pathname, search } = new URL(input instanceof Request ? input.url : input)
  return fetch(new URL(pathname + search, to), init)
}
/** Where the last POST (or the first of `method`) arrived, and who served it: the session's owner. */
const arrived = (owner: string, method?: string) => {
  const { to: at } = method ? arrivals.find((sent) => sent.method === method)! : arrivals.at(-1)!
  return at === owner ? `arrived at ${at}` : `arrived at ${at}, forwarded to ${owner}`
}
const text = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as { type: string; text: string }[])[0]?.text
/** The JSON-RPC error inside the SDK's "Error POSTing to endpoint: {…}" (HTTP 429 here). */
const refusal = (error: Error) => {
  const body = /\{.*\}$/s.exec(error.message)?.[0]
  const { code, message } = body ? JSON.parse(body).error : { code: '', message: error.message }
  return `refused, ${code} ${message}`
}

const one = new Client({ name: 'multi-replica-demo', version: '1.0.0' })
const two = new Client({ name: 'multi-replica-demo', version: '1.0.0' })
try {
  const transport = new StreamableHTTPClientTransport(a, { fetch: alternating })
  await one.connect(transport)
  const session = transport.sessionId
  console.log(
    `\nclient 1: initialize ${arrived('A', 'initialize')}: session ${session}, owned by A`,
  )
  const { tools } = await one.listTools()
  console.log(`tools/list ${arrived('A')}:`, tools.map((tool) => tool.name).join(', '))
  const calls = 4
  for (let i = 1; i <= calls; i++) {
    const sum = await one.callTool({ name: 'math_add', arguments: { a: i, b: i } })
    console.log(`math_add(${i}, ${i}) ${arrived('A')}: ${text(sum)}`)
  }
  const count = (at: string) => arrivals.filter(({ to }) => to === at).length
  console.log(
    `one session (${transport.sessionId === session ? 'the same id' : 'a new id!'}) served ` +
      `all ${calls} calls, no error; its POSTs: ${count('A')} arrived at A, ${count('B')} at B`,
  )

  console.log(`\nthe global limit: ${BUDGET} math_echo calls for everyone, counted in Redis`)
  for (let i = 1; i < BUDGET; i++) {
    await one.callTool({ name: 'math_echo', arguments: { text: `${i}` } })
    console.log(`client 1 (session on A): math_echo ${arrived('A')}: ok`)
  }
  await two.connect(new StreamableHTTPClientTransport(b)) // straight to B: B owns this session
  for (let i = 1; i <= 2; i++) {
    const answer = await two
      .callTool({ name: 'math_echo', arguments: { text: `${i}` } })
      .then(() => 'ok', refusal)
    console.log(`client 2 (session on B): math_echo at B: ${answer}`)
  }
} finally {
  await one.close()
  await two.close()
  const [exitA, exitB] = await replicas.stop()
  const andRedis = replicas.ownRedis ? ', then redis-server' : ''
  console.log(`\nstopped: replica A exited ${exitA}, replica B ${exitB} (SIGTERM)${andRedis}`)
}
