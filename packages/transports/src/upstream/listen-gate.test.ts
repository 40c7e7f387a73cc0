import { afterEach, describe, expect, it } from 'vitest'
import { runCleanups } from '../../test/fixtures.js'
import {
  callTool,
  connect,
  sendJson,
  startRawServer,
  toolResult,
} from './streamable-http-fixtures.js'

afterEach(runCleanups)

describe('streamableHttp() after the handshake', () => {
  it('sends a request only once the GET stream is open, so the server can use it at once', async () => {
    const order: string[] = []
    const { url } = await startRawServer(async (request, res) => {
      if (request.method === 'GET') {
        order.push('GET')
        // A slow stream to open: a request must not overtake it.
        await new Promise((resolve) => setTimeout(resolve, 150))
        res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n')
        order.push('GET open')
        return
      }
      order.push(`POST ${request.body.method}`)
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    const { connection } = await connect(url)
    await callTool(connection, 'anything')
    expect(order).toEqual(['GET', 'GET open', 'POST tools/call'])
  })

  it('sends requests at once when the server offers no GET stream', async () => {
    const order: string[] = []
    const { url } = await startRawServer((request, res) => {
      if (request.method === 'GET') {
        order.push('GET 405')
        return void res.writeHead(405).end()
      }
      order.push(`POST ${request.body.method}`)
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    const { connection } = await connect(url)
    await callTool(connection, 'anything')
    expect(order).toEqual(['GET 405', 'POST tools/call'])
  })
})
