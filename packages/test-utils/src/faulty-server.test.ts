// The built faulty bins as real child processes (build @mcpx/test-utils first).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  CreateMessageRequestSchema,
  ErrorCode,
  JSONRPCMessageSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { type StartedProcess, startProcess } from './processes.js'

const bin = (kind: 'stdio' | 'http') => {
  const path = fileURLToPath(new URL(`../dist/bin/faulty-${kind}.js`, import.meta.url))
  if (!existsSync(path)) throw new Error(`${path} is missing: build @mcpx/test-utils first`)
  return path
}

const started: StartedProcess[] = []
const clients: Client[] = []
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()))
  await Promise.all(started.splice(0).map((p) => p.stop()))
})

function start(kind: 'stdio' | 'http', args: string[]): StartedProcess {
  const proc = startProcess(process.execPath, [bin(kind), ...args], {
    name: `faulty-${kind}`,
    ready: kind === 'http' ? 'listening' : 'none',
    stdin: kind === 'stdio' ? 'pipe' : 'ignore',
    readyTimeoutMs: 10_000,
  })
  started.push(proc)
  return proc
}

/**
 * A client transport over a started child's stdin/stdout, so that the test also holds the
 * child's exit code and output tail. Lines that are not JSON-RPC go to `onerror`, as the
 * SDK's StdioClientTransport does.
 */
function pipeTransport(proc: StartedProcess): Transport {
  const transport: Transport = {
    async start() {
      let buffer = ''
      // startProcess already set the encoding: chunks are strings.
      proc.child.stdout!.on('data', (chunk: string) => {
        buffer += chunk
        for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
          const line = buffer.slice(0, at)
          buffer = buffer.slice(at + 1)
          try {
            transport.onmessage?.(JSONRPCMessageSchema.parse(JSON.parse(line)))
          } catch (error) {
            transport.onerror?.(error as Error)
          }
        }
      })
      void proc.exited.then(() => transport.onclose?.())
    },
    async send(message) {
      proc.child.stdin!.write(`${JSON.stringify(message)}\n`)
    },
    close: () => proc.stop(),
  }
  return transport
}

async function connect(kind: 'stdio' | 'http', args: string[] = [], client = newClient()) {
  const proc = start(kind, args)
  const transport =
    kind === 'stdio'
      ? pipeTransport(proc)
      : new StreamableHTTPClientTransport(new URL(await proc.ready))
  await client.connect(transport)
  return { proc, client }
}

function newClient(): Client {
  const client = new Client({ name: 'faulty-test', version: '1.0.0' }, { capabilities: {} })
  clients.push(client)
  return client
}

const textOf = (result: unknown) =>
  (result as { content: { type: string; text?: string }[] }).content.map((c) => c.text).join('')

const echo = (client: Client, value: string, timeout = 10_000) =>
  client.callTool({ name: 'echo', arguments: { text: value } }, undefined, { timeout })

describe.each(['stdio', 'http'] as const)('faulty-%s', (kind) => {
  it('exits with code 1 when the crashAfter-th call arrives, after answering the ones before', async () => {
    const { proc, client } = await connect(kind, ['--crash-after', '3'])
    expect(textOf(await echo(client, 'a'))).toBe('a')
    expect(textOf(await echo(client, 'b'))).toBe('b')
    await expect(echo(client, 'c')).rejects.toThrow()
    expect(await proc.exited).toEqual({ code: 1, signal: null })
  })

  it('never answers the calls after the hangAfter-th, within a bound', async () => {
    const { proc, client } = await connect(kind, ['--hang-after', '2'])
    expect(textOf(await echo(client, 'a'))).toBe('a')
    expect(textOf(await echo(client, 'b'))).toBe('b')
    await expect(echo(client, 'c', 300)).rejects.toMatchObject({ code: ErrorCode.RequestTimeout })
    expect(proc.exitReason()).toBeUndefined()
    const stats = JSON.parse(textOf(await client.callTool({ name: 'stats' })))
    expect(stats).toMatchObject({ pid: proc.pid, received: 3, answered: 2, hung: 1 })
  })

  it('fails every call at --error-rate 1 and none at 0', async () => {
    const failing = await connect(kind, ['--error-rate', '1'])
    for (const value of ['a', 'b', 'c']) {
      await expect(echo(failing.client, value)).rejects.toMatchObject({
        code: ErrorCode.InternalError,
      })
    }
    const fine = await connect(kind, ['--error-rate', '0'])
    for (const value of ['a', 'b', 'c']) expect(textOf(await echo(fine.client, value))).toBe(value)
  })

  it('waits at least the --latency minimum before answering', async () => {
    const { client } = await connect(kind, ['--latency', '80-120', '--seed', '7'])
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      await echo(client, 'x')
      expect(performance.now() - t0).toBeGreaterThanOrEqual(79)
    }
  })

  it('sends sampling/createMessage during a sample call and returns the answer', async () => {
    const client = new Client(
      { name: 'faulty-test', version: '1.0.0' },
      { capabilities: { sampling: {} } },
    )
    clients.push(client)
    const prompts: string[] = []
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]!.content
      prompts.push(!Array.isArray(content) && content.type === 'text' ? content.text : '')
      return { role: 'assistant', model: 'test', content: { type: 'text', text: 'sampled!' } }
    })
    await connect(kind, [], client)
    const result = await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })
    expect(textOf(result)).toBe('sampled!')
    expect(prompts).toEqual(['hi'])
  })

  it('starts failing mid-run when the faults tool sets them, and recovers on clear', async () => {
    const { client } = await connect(kind)
    expect(textOf(await echo(client, 'a'))).toBe('a')
    await client.callTool({ name: 'faults', arguments: { set: { errorRate: 1 } } })
    await expect(echo(client, 'b')).rejects.toMatchObject({ code: ErrorCode.InternalError })
    await client.callTool({ name: 'faults', arguments: { clear: true } })
    expect(textOf(await echo(client, 'c'))).toBe('c')
  })

  it('exits with code 1 at start-up with --exit-at-startup, before initialize completes', async () => {
    const proc = start(kind, ['--exit-at-startup'])
    if (kind === 'stdio') {
      await expect(newClient().connect(pipeTransport(proc))).rejects.toThrow()
    } else {
      await expect(proc.ready).rejects.toThrow(/exited \(code 1\) before it was ready/)
    }
    expect(await proc.exited).toEqual({ code: 1, signal: null })
  })

  it('answers pid with the process id of the child that served it', async () => {
    const a = await connect(kind)
    const b = await connect(kind)
    const pidOf = async (c: Client) => Number(textOf(await c.callTool({ name: 'pid' })))
    expect(await pidOf(a.client)).toBe(a.proc.pid)
    expect(await pidOf(b.client)).toBe(b.proc.pid)
    expect(a.proc.pid).not.toBe(b.proc.pid)
  })

  it("answers client_info with the clientInfo of the client's initialize", async () => {
    const { client } = await connect(kind)
    const info = JSON.parse(textOf(await client.callTool({ name: 'client_info' })))
    expect(info).toEqual({ name: 'faulty-test', version: '1.0.0' })
  })
})

describe('faulty-stdio', () => {
  it('writes a non-JSON line to stdout when the garbageAfter-th call arrives', async () => {
    const { proc, client } = await connect('stdio', ['--garbage-after', '2'])
    const errors: Error[] = []
    client.onerror = (error) => errors.push(error)
    expect(textOf(await echo(client, 'a'))).toBe('a')
    expect(errors).toEqual([])
    expect(textOf(await echo(client, 'b'))).toBe('b')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(SyntaxError)
    expect(proc.tail()).toContain('this line is not JSON-RPC (an injected fault)')
    expect(textOf(await echo(client, 'c'))).toBe('c')
    expect(errors).toHaveLength(1)
  })

  it('exits 2 on a bad flag', async () => {
    const proc = start('stdio', ['--error-rate', '2'])
    expect(await proc.exited).toEqual({ code: 2, signal: null })
    expect(proc.tail()).toMatch(/errorRate/)
  })
})

describe('faulty-http', () => {
  it('answers tools/call POSTs HTTP 500 at --http-error-rate 1, and lets stats through', async () => {
    const { client } = await connect('http', ['--http-error-rate', '1'])
    // StreamableHTTPError.code is the HTTP status.
    await expect(echo(client, 'a')).rejects.toMatchObject({ code: 500 })
    const stats = JSON.parse(textOf(await client.callTool({ name: 'stats' })))
    expect(stats).toMatchObject({ received: 0, http500: 1 })
  })

  it('keeps stateful_set values in their session, and shares the faults between sessions', async () => {
    const { proc, client: a } = await connect('http')
    const b = newClient()
    await b.connect(new StreamableHTTPClientTransport(new URL(await proc.ready)))
    await a.callTool({ name: 'stateful_set', arguments: { key: 'k', value: 'from a' } })
    const get = (c: Client) => c.callTool({ name: 'stateful_get', arguments: { key: 'k' } })
    expect(textOf(await get(a))).toBe('from a')
    expect(textOf(await get(b))).toBe('')
    await a.callTool({ name: 'faults', arguments: { set: { errorRate: 1 } } })
    await expect(echo(b, 'x')).rejects.toMatchObject({ code: ErrorCode.InternalError })
  })
})
