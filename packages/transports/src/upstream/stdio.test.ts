import { ErrorCode, type McpxError } from '@mcpx/core'
import { afterEach, describe, expect, it } from 'vitest'
import { recorder, runCleanups } from '../../test/fixtures.js'
import { UpstreamConnection } from './connection.js'
import { stdio } from './stdio.js'

afterEach(runCleanups)

const OPEN = {
  initialize: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  },
  connectTimeout: 5000,
}

describe('stdio() errors a client sees', () => {
  it('fails to start a missing command naming the upstream by name; the command goes to the log only', async () => {
    const logs: string[] = []
    const connection = new UpstreamConnection(
      'files',
      stdio({ command: '/nonexistent/home/alice/mcp-server' }),
      { request: async () => ({}), notification() {} },
    )
    const error = await connection.open({ ...OPEN, log: (line) => logs.push(line) }).then(
      () => undefined,
      (e: unknown) => e as McpxError,
    )
    expect(error?.toJSON()).toEqual({
      code: ErrorCode.UpstreamUnavailable,
      message: 'Upstream "files" could not be started (ENOENT)',
      data: { upstream: 'files' },
    })
    expect(logs.some((line) => line.includes('/nonexistent/home/alice/mcp-server'))).toBe(true)
  })

  it.each([
    ['a missing command', '/nonexistent/mcp-server', 'not found (ENOENT)'],
    [
      'a file that is not executable',
      new URL('./stdio.ts', import.meta.url).pathname,
      'permission denied (not executable?) (EACCES)',
    ],
  ])('logs %s once, naming the command and why', async (_, command, why) => {
    const logs: string[] = []
    const connection = new UpstreamConnection('files', stdio({ command }), {
      request: async () => ({}),
      notification() {},
    })
    await connection.open({ ...OPEN, log: (line) => logs.push(line) }).catch(() => {})
    expect(logs).toEqual([`could not start ${command}: ${why}`])
  })

  it('reports a child that exits through close, with its exit code', async () => {
    const channel = stdio({ command: process.execPath, args: ['-e', 'process.exit(3)'] }).open()
    const { state, events } = recorder()
    await channel.start(events)
    await channel.close()
    expect(state.closed).toBe('exited (code 3)')
  })
})

describe('stdio() close', () => {
  it('writes a message sent just before close() to the child before its stdin ends', async () => {
    // The child logs what it read once its stdin ends, then exits.
    const script =
      "let t = ''; process.stdin.on('data', (c) => { t += c }); process.stdin.on('end', () => { process.stderr.write('read ' + t.trim() + '\\n') })"
    const channel = stdio({ command: process.execPath, args: ['-e', script] }).open()
    const { logs, events } = recorder()
    await channel.start(events)
    channel.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } })
    await channel.close()
    expect(logs).toEqual([
      'read {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}',
    ])
  })
})

describe('stdio() options', () => {
  it('does not claim to relate server requests to client requests', () => {
    expect(stdio({ command: 'mcp-server' }).relatesRequests).toBeUndefined()
  })
})
