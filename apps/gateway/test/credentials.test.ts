// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the config files say ${UPSTREAM_SECRET} for the gateway to interpolate
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const running: StartedProcess[] = []
const UPSTREAM_TOKEN = 'upstream-token-0123456789'
const CLIENT_SECRET = 'client-secret-of-gateway-a'
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-credentials-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

interface TokenEndpoint {
  url: string
  requests: { authorization: string | undefined; form: URLSearchParams }[]
  close(): Promise<void>
}

/** A real OAuth token endpoint on 127.0.0.1 that records what it was asked. */
async function tokenEndpoint(): Promise<TokenEndpoint> {
  const requests: TokenEndpoint['requests'] = []
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    requests.push({ authorization: req.headers.authorization, form: new URLSearchParams(body) })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({ access_token: UPSTREAM_TOKEN, token_type: 'Bearer', expires_in: 3600 }),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/oauth/token`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(content))
  return path
}

function start(file: string): Promise<string> {
  return startGateway(file).ready
}

function startGateway(file: string): StartedProcess {
  const gateway = startProcess(process.execPath, [cli, '--config', file, '--port', '0'], {
    name: 'mcpx-gateway',
    env: { ...process.env, UPSTREAM_SECRET: CLIENT_SECRET },
  })
  running.push(gateway)
  return gateway
}

describe('an upstream reached with client credentials', () => {
  it('gets its token from the token endpoint, and an upstream that requires it serves the call', async () => {
    const endpoint = await tokenEndpoint()
    try {
      // The upstream: another gateway that accepts only the token the endpoint issues.
      const upstream = await start(
        await configFile('upstream.json', {
          auth: { bearer: { tokens: [{ token: UPSTREAM_TOKEN, subject: 'gateway-a' }] } },
          upstreams: { math: { example: 'math' } },
        }),
      )
      const credentials = {
        clientCredentials: {
          tokenUrl: endpoint.url,
          clientId: 'gateway-a',
          clientSecret: '${UPSTREAM_SECRET}',
          scope: ['math:add', 'math:echo'],
          resource: upstream,
        },
      }
      const url = await start(
        await configFile('front.json', {
          upstreams: { remote: { url: upstream, mode: 'shared', credentials } },
        }),
      )
      const client = new Client({ name: 't', version: '1' })
      await client.connect(new StreamableHTTPClientTransport(new URL(url)))
      const sum = await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })
      expect((sum as { content: { text: string }[] }).content[0]!.text).toBe('42')
      await client.close()

      expect(endpoint.requests.length).toBeGreaterThanOrEqual(1)
      const [first] = endpoint.requests
      const basic = Buffer.from(`gateway-a:${CLIENT_SECRET}`).toString('base64')
      expect(first!.authorization).toBe(`Basic ${basic}`)
      expect(Object.fromEntries(first!.form)).toEqual({
        grant_type: 'client_credentials',
        scope: 'math:add math:echo',
        resource: upstream,
      })
    } finally {
      await endpoint.close()
    }
  })

  it('logs an unreachable token endpoint as the upstream missing, without the secret', async () => {
    const credentials = {
      clientCredentials: {
        tokenUrl: 'http://127.0.0.1:1/oauth/token',
        clientId: 'gateway-a',
        clientSecret: '${UPSTREAM_SECRET}',
      },
    }
    const gateway = startGateway(
      await configFile('down.json', {
        upstreams: { remote: { url: 'http://127.0.0.1:1/mcp', mode: 'shared', credentials } },
      }),
    )
    await gateway.ready
    expect(gateway.tail()).toMatch(/upstream "remote" is missing \(.*could not get its credentials/)
    expect(gateway.tail()).not.toContain(CLIENT_SECRET)
  })
})

describe('upstreams.<name>.credentials', () => {
  const problemsOf = (upstream: Record<string, unknown>) => {
    const checked = checkConfig({
      upstreams: { remote: { url: 'https://u.test/mcp', ...upstream } },
    })
    if (checked.ok) throw new Error('the config was accepted')
    return checked.problems
  }
  const clientCredentials = {
    tokenUrl: 'https://idp.test/token',
    clientId: 'gw',
    clientSecret: 'a-secret-value',
  }

  it('accepts client credentials on a streamable-http upstream', () => {
    const checked = checkConfig({
      upstreams: { remote: { url: 'https://u.test/mcp', credentials: { clientCredentials } } },
    })
    if (!checked.ok) throw new Error(checked.problems.join('\n'))
    expect(checked.config.upstreams.remote!.source).toMatchObject({
      credentials: clientCredentials,
    })
  })

  it.each([
    [
      { transport: 'sse' },
      "upstreams.remote.credentials: only with transport 'streamable-http' (got 'sse')",
    ],
    [
      { headers: { authorization: 'Bearer x' } },
      'upstreams.remote.credentials: cannot be combined with an Authorization header in headers',
    ],
    [{ credentials: {} }, 'upstreams.remote.credentials.clientCredentials: is required'],
    [
      { credentials: { clientCredentials: { ...clientCredentials, clientSecret: undefined } } },
      'upstreams.remote.credentials.clientCredentials.clientSecret: is required',
    ],
    [
      { credentials: { clientCredentials: { ...clientCredentials, tokenUrl: 'ftp://idp.test' } } },
      'upstreams.remote.credentials.clientCredentials.tokenUrl: must be an http(s) URL',
    ],
    [
      { credentials: { clientCredentials: { ...clientCredentials, scope: ['a"b'] } } },
      'upstreams.remote.credentials.clientCredentials.scope[0]: must be scopes',
    ],
    [
      { credentials: { clientCredentials: { ...clientCredentials, authMethod: 'mtls' } } },
      "upstreams.remote.credentials.clientCredentials.authMethod: must be one of 'client_secret_basic', 'client_secret_post'",
    ],
    [{ credentials: { oauth: {} } }, 'upstreams.remote.credentials.oauth: unknown key'],
  ] as [Record<string, unknown>, string][])('refuses %j', (upstream, problem) => {
    const base = upstream.credentials === undefined ? { credentials: { clientCredentials } } : {}
    const problems = problemsOf({ ...base, ...upstream })
    expect(
      problems.some((line) => line.startsWith(problem)),
      problems.join('\n'),
    ).toBe(true)
    expect(problems.join('\n')).not.toContain('a-secret-value')
  })
})
