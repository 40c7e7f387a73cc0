// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the config files say ${JWT_SECRET} for the gateway to interpolate
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type CatalogOptions,
  catalogBinPath,
  eventually,
  freePort,
  type StartedProcess,
  startProcess,
} from '@mcpx/test-utils'
import { AUDIENCE, claims, SECRET, sign } from '@mcpx/test-utils/tokens'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

// The built gateway, as users run it, with real example upstreams and the SDK's client.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-auth-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

const env = { ...process.env, JWT_SECRET: SECRET }
const WELL_KNOWN = '/.well-known/oauth-protected-resource'

/** The `auth` section the tests share: a JWT secret from the environment, never in the file. */
const jwtAuth = (extra: Record<string, unknown> = {}) => ({
  jwt: { secret: '${JWT_SECRET}', algorithms: ['HS256'], audience: AUDIENCE },
  ...extra,
})

async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(content))
  return path
}

function start(args: string[]): { url: Promise<string>; gateway: StartedProcess } {
  const gateway = startProcess(process.execPath, [cli, ...args], { name: 'mcpx-gateway', env })
  running.push(gateway)
  return { url: gateway.ready, gateway }
}

async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 't', version: '1' })
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }),
  )
  return client
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'p', version: '1' },
  },
}

/** A bare `initialize` POST, as a client without the SDK would send it. */
const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(initialize),
  })

const catalog = (options: CatalogOptions) => ({
  command: process.execPath,
  args: [catalogBinPath('stdio'), '--config', JSON.stringify(options)],
  mode: 'shared',
})

describe('mcpx-gateway with an auth section', () => {
  it('refuses a request without a valid token (401, resource_metadata), serves one with a token, and hides a tool its scope lacks', async () => {
    const port = await freePort()
    const resource = `http://127.0.0.1:${port}/mcp`
    const auth = jwtAuth({
      resource,
      authorizationServers: ['https://issuer.test'],
      scopes: { tools: { add: 'math:add' } },
    })
    const file = await configFile('jwt.json', { auth, upstreams: { math: { example: 'math' } } })
    const url = await start(['--config', file, '--port', String(port)]).url

    const bare = await post(url)
    expect(bare.status).toBe(401)
    expect(bare.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="http://127.0.0.1:${port}${WELL_KNOWN}/mcp"`,
    )
    const forged = await post(url, { authorization: `Bearer ${await sign('x'.repeat(40))}` })
    expect(forged.status).toBe(401)
    expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"')

    const plain = await connect(url, await sign(SECRET, claims({ scope: 'other' })))
    const names = (await plain.listTools()).tools.map((tool) => tool.name)
    expect(names).toContain('echo')
    expect(names).not.toContain('add')
    await expect(plain.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).rejects.toThrow(
      /-32031.*insufficient_scope/,
    )
    await plain.close()

    const adder = await connect(url, await sign(SECRET, claims({ scope: 'math:add' })))
    expect((await adder.listTools()).tools.map((tool) => tool.name)).toContain('add')
    const sum = await adder.callTool({ name: 'add', arguments: { a: 2, b: 3 } })
    expect((sum as { content: { text: string }[] }).content[0]!.text).toBe('5')
    await adder.close()
  })

  it('serves the protected-resource metadata at the path-suffix and the root well-known paths', async () => {
    const auth = jwtAuth({
      resource: 'https://mcp.example.com/mcp',
      authorizationServers: ['https://issuer.test'],
      scopesSupported: ['math:add'],
    })
    const file = await configFile('metadata.json', {
      auth,
      upstreams: { math: { example: 'math' } },
    })
    const { origin } = new URL(await start(['--config', file, '--port', '0']).url)
    const expected = {
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: ['https://issuer.test'],
      scopes_supported: ['math:add'],
      bearer_methods_supported: ['header'],
    }
    for (const path of [`${WELL_KNOWN}/mcp`, WELL_KNOWN]) {
      const answer = await fetch(`${origin}${path}`)
      expect(answer.status).toBe(200)
      expect(answer.headers.get('content-type')).toBe('application/json')
      expect(await answer.json()).toEqual(expected)
    }
  })

  it('authenticates the legacy SSE front end on its GET', async () => {
    const file = await configFile('sse.json', {
      auth: jwtAuth(),
      upstreams: { math: { example: 'math' } },
    })
    const url = await start(['--config', file, '--port', '0', '--serve', 'sse']).url
    const bare = await fetch(url, { headers: { accept: 'text/event-stream' } })
    expect(bare.status).toBe(401)
    const token = await sign(SECRET)
    const signed = await fetch(url, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
    })
    expect(signed.status).toBe(200)
    await signed.body?.cancel()
  })

  it('runs the start-up check past auth and scope rules, while a client without a token still gets nothing', async () => {
    // A collision is logged only if the check saw both lists whole: with the
    // stdio front end, authenticate() is in the stack and refuses any message
    // without credentials, and access() hides `echo` from all but `admin`.
    const file = await configFile('startup.json', {
      auth: jwtAuth({ scopes: { tools: { echo: 'admin' } } }),
      upstreams: {
        a: catalog({ name: 'a', tools: ['echo'] }),
        b: catalog({ name: 'b', tools: ['echo'] }),
      },
    })
    const requests = [initialize, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }]
    const run = spawnSync(process.execPath, [cli, '--serve', 'stdio', '--config', file], {
      input: `${requests.map((r) => JSON.stringify(r)).join('\n')}\n`,
      encoding: 'utf8',
      env,
      timeout: 15_000,
    })
    expect(run.status).toBe(0)
    expect(run.stderr).toMatch(/tool "echo" is exposed by "a" and "b": "a" serves it/)
    const answers = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(answers.map((answer) => [answer.id, answer.error?.code])).toEqual([
      [1, -32030],
      [2, -32030],
    ])
  })

  it('over stdio, serves a message whose params._meta.authorization holds a valid token', async () => {
    const authorization = `Bearer ${await sign(SECRET, claims({ scope: 'math:add' }))}`
    const file = await configFile('stdio.json', {
      auth: jwtAuth({ scopes: { tools: { add: 'math:add' } } }),
      upstreams: { math: { example: 'math' } },
    })
    const _meta = { authorization }
    const requests = [
      { ...initialize, params: { ...initialize.params, _meta } },
      { jsonrpc: '2.0', method: 'notifications/initialized', params: { _meta } },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { _meta, name: 'add', arguments: { a: 1, b: 2 } },
      },
    ]
    const run = spawnSync(process.execPath, [cli, '--serve', 'stdio', '--config', file], {
      input: `${requests.map((r) => JSON.stringify(r)).join('\n')}\n`,
      encoding: 'utf8',
      env,
      timeout: 15_000,
    })
    const answers = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(answers[1].result.content[0].text).toBe('3')
  })
})

describe('mcpx-gateway without an auth section', () => {
  it('serves anonymously on loopback and says auth is off', async () => {
    const { url, gateway } = start(['--example', '--port', '0'])
    expect((await post(await url)).status).toBe(200)
    await eventually(() =>
      gateway
        .tail()
        .includes('mcpx-gateway: auth is off (no auth section): every client is anonymous'),
    )
  })

  it('refuses to start on a host that is not loopback', async () => {
    const file = await configFile('open.json', { upstreams: { math: { example: 'math' } } })
    for (const args of [['--config', file], ['--example']]) {
      const run = spawnSync(process.execPath, [cli, ...args, '--host', '0.0.0.0', '--port', '0'], {
        encoding: 'utf8',
        timeout: 15_000,
      })
      expect(run.status).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain(
        'serve.host: 0.0.0.0 is not a loopback address, and with no auth section',
      )
    }
  })

  it('starts on a host that is not loopback when the file says auth: none', async () => {
    const file = await configFile('none.json', {
      auth: 'none',
      serve: { host: '0.0.0.0' },
      upstreams: { math: { example: 'math' } },
    })
    const { url, gateway } = start(['--config', file, '--port', '0'])
    const port = new URL(await url).port
    expect((await post(`http://127.0.0.1:${port}/mcp`)).status).toBe(200)
    await eventually(() => gateway.tail().includes('auth is off (auth: none)'))
  })
})
