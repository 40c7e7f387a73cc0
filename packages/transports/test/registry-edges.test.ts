// Forwarding between replicas at its edges: a body over the owner's limit,
// a server notification crossing the forwarding replica, an owner that
// takes no connection.
import { spawnSync } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { startProcess } from '@mcpx/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { OwnerSignature } from '../src/downstream/owner-signature.js'
import { cleanups, runCleanups } from './fixtures.js'
import { INIT } from './harness.js'
import { memoryDirectory, post, replica, SECRET } from './registry-harness.js'

afterEach(runCleanups)

describe('forwarding at the edges', () => {
  it("relays the owner's 413 for a body over its limit", async () => {
    const directory = memoryDirectory()
    const a = await replica('A', directory, { maxMessageBytes: 1024 })
    const b = await replica('B', directory)
    const { sessionId } = await post(a.url, INIT)
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'whoami', arguments: { pad: 'x'.repeat(64 * 1024) } },
    })
    const answer = await post(b.url, big, sessionId!)
    expect(answer.status).toBe(413)
    // The session is still there, reached through B.
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'ping' })
    expect((await post(b.url, ping, sessionId!)).status).toBe(200)
  })

  it('delivers a notification the owner sends on a GET stream opened through B', async () => {
    const directory = memoryDirectory()
    const a = await replica('A', directory)
    const b = await replica('B', directory)
    const { sessionId } = await post(a.url, INIT)
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })
    expect((await post(b.url, initialized, sessionId!)).status).toBe(202)
    const stream = await fetch(b.url, {
      headers: {
        accept: 'text/event-stream',
        'mcp-session-id': sessionId!,
        'mcp-protocol-version': '2025-06-18',
      },
      signal: AbortSignal.timeout(10_000),
    })
    expect(stream.status).toBe(200)
    const reader = stream.body!.getReader()
    cleanups.push(() => reader.cancel().catch(() => {}))
    // A new tool on A's upstream: it tells its clients the list changed, on their GET streams.
    a.mcp.registerTool('late', {}, async () => ({ content: [] }))
    const decoder = new TextDecoder()
    let text = ''
    while (!text.includes('notifications/tools/list_changed')) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    expect(text).toContain('notifications/tools/list_changed')
  })

  // Linux drops a SYN when the listen queue is full, so the connection never completes.
  it.skipIf(process.platform !== 'linux')(
    'answers 404 and drops the entry when the owner takes no connection within connectTimeout',
    async () => {
      // Every machine this runs on has python3: without it this fails, it does not skip.
      expect(spawnSync('python3', ['-c', 'pass']).status, 'python3 runs the listener').toBe(0)
      const listener = startProcess(
        'python3',
        [
          '-c',
          [
            'import socket, sys, time',
            's = socket.socket()',
            "s.bind(('127.0.0.1', 0))",
            's.listen(0)',
            "print('LISTENING http://127.0.0.1:%d' % s.getsockname()[1], flush=True)",
            'time.sleep(60)',
          ].join('\n'),
        ],
        { name: 'a listener that never accepts' },
      )
      cleanups.push(() => listener.stop())
      const origin = new URL(await listener.ready).origin
      // Fill its queue: these connect (the kernel accepts them for it), later ones hang.
      const port = Number(new URL(origin).port)
      const fillers: Socket[] = []
      cleanups.push(() => {
        for (const socket of fillers) socket.destroy()
      })
      for (let i = 0; i < 8; i++) {
        const socket = connect(port, '127.0.0.1')
        socket.on('error', () => {})
        fillers.push(socket)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))

      const directory = memoryDirectory()
      const b = await replica('B', directory, { connectTimeout: 300 })
      const id = 'C'.repeat(24)
      await directory.claim(id, new OwnerSignature(SECRET).sign(id, origin))
      const answer = await post(
        b.url,
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
        id,
      )
      expect(answer.status).toBe(404)
      expect(answer.text).toContain('Session not found')
      expect(directory.entries.has(id)).toBe(false)
    },
  )
})
