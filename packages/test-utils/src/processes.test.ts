import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from './free-port.js'
import { descendants, hasProc, readStat } from './proc-tree.js'
import { runProcess, type StartedProcess, startProcess } from './processes.js'

const node = process.execPath
const started: StartedProcess[] = []
const start = (...params: Parameters<typeof startProcess>) => {
  const proc = startProcess(...params)
  started.push(proc)
  return proc
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop(500)))
})

/** A node script that prints a LISTENING line after `delayMs`, then idles. */
const listener = (delayMs = 0) =>
  `setTimeout(() => console.log('LISTENING http://127.0.0.1:1234/mcp'), ${delayMs}); setInterval(() => {}, 1000)`

describe('startProcess', () => {
  it('resolves ready with the URL of the LISTENING line', async () => {
    const proc = start(node, ['-e', `console.log('booting'); ${listener(50)}`])
    await expect(proc.ready).resolves.toBe('http://127.0.0.1:1234/mcp')
    expect(proc.exitReason()).toBeUndefined()
  })

  it('rejects ready with the exit and the last output when the process exits first', async () => {
    const proc = start(node, ['-e', `console.error('bad config'); process.exit(3)`], {
      name: 'broken',
    })
    await expect(proc.ready).rejects.toThrow(/broken: exited \(code 3\) before it was ready/)
    await expect(proc.ready).rejects.toThrow(/bad config/)
  })

  it('rejects ready when no LISTENING line comes within the timeout', async () => {
    const proc = start(node, ['-e', 'setInterval(() => {}, 1000)'], { readyTimeoutMs: 200 })
    await expect(proc.ready).rejects.toThrow(/not ready within 200 ms/)
  })

  it('rejects ready when the command does not exist', async () => {
    const proc = start('/nonexistent/mcpx-no-such-binary', [])
    await expect(proc.ready).rejects.toThrow(/failed to start/)
  })

  it('waits for the port of a URL to accept connections', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/`
    const proc = start(
      node,
      [
        '-e',
        `setTimeout(() => require('node:http').createServer((q, s) => s.end()).listen(${port}, '127.0.0.1'), 300)`,
      ],
      { ready: { url } },
    )
    await expect(proc.ready).resolves.toBe(url)
    expect((await fetch(url)).status).toBe(200)
  })

  it('holds stdin open with stdin: pipe, for servers that exit when it closes', async () => {
    const script = `process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); ${listener(300)}`
    const held = start(node, ['-e', script], { stdin: 'pipe' })
    await held.ready
    await new Promise((r) => setTimeout(r, 200))
    expect(held.exitReason()).toBeUndefined()
    const closed = start(node, ['-e', script])
    await expect(closed.ready).rejects.toThrow(/exited/)
  })

  it.runIf(hasProc)('stop() ends the whole tree, grandchildren included', async () => {
    // The child starts a grandchild that ignores SIGTERM; stop() must SIGKILL it after grace.
    const grandchild = `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)`
    const proc = start(node, [
      '-e',
      `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'ignore' }); ${listener(100)}`,
    ])
    await proc.ready
    const tree = descendants(proc.pid)
    expect(tree).toHaveLength(1)
    await proc.stop(300)
    expect(proc.exitReason()).toMatch(/exited/)
    const survivor = readStat(tree[0]!.pid)
    expect(survivor === null || survivor.start !== tree[0]!.start || survivor.zombie).toBe(true)
  })
})

describe('runProcess', () => {
  it('collects stdout, stderr and the exit code', async () => {
    const result = await runProcess(
      node,
      ['-e', `process.stdout.write('out'); process.stderr.write('err'); process.exit(2)`],
      { timeoutMs: 10_000 },
    )
    expect(result).toEqual({ stdout: 'out', stderr: 'err', code: 2, signal: null, timedOut: false })
  })

  it('kills the process group after the timeout and says so', async () => {
    const result = await runProcess(node, ['-e', 'setInterval(() => {}, 1000)'], {
      timeoutMs: 200,
    })
    expect(result.timedOut).toBe(true)
    expect(result.signal).toBe('SIGKILL')
  })

  it('resolves, not rejects, when the command cannot start', async () => {
    const result = await runProcess('/nonexistent/mcpx-no-such-binary', [], { timeoutMs: 1000 })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/ENOENT/)
  })
})

describe('freePort', () => {
  it('returns a port that can be bound on loopback', async () => {
    const port = await freePort()
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    expect((server.address() as AddressInfo).port).toBe(port)
    await new Promise((resolve) => server.close(resolve))
  })
})
