#!/usr/bin/env node
// The load generator process (library: lib/load.mjs). The orchestrator starts it
// pinned to its own core where taskset exists, so the target keeps a core to itself.
//
// Two ways to run it:
//   - by the orchestrator (e2e.mjs) over an IPC channel: it receives {type:'run'},
//     opens the sessions, answers {type:'ready'}, waits for {type:'go'} (so that
//     session set-up is outside the measured window), answers {type:'done', result},
//     and on {type:'close'} deletes its sessions and exits;
//   - by hand: node loadgen.mjs --url http://127.0.0.1:3000/mcp -c 8 -n 10000 -d 5

import { parseArgs } from 'node:util'
import { prepare } from './lib/load.mjs'

async function viaIpc() {
  const send = (/** @type {object} */ m) => process.send?.(m)
  /** @type {Awaited<ReturnType<typeof prepare>> | undefined} */
  let prepared
  process.on('message', async (/** @type {any} */ m) => {
    try {
      if (m.type === 'run') {
        prepared = await prepare(m.options)
        send({ type: 'ready', sessions: prepared.sessions })
      } else if (m.type === 'go' && prepared) {
        send({ type: 'done', result: await prepared.run() })
      } else if (m.type === 'close') {
        await prepared?.close()
        process.exit(0)
      }
    } catch (e) {
      // Exit only once the report has left, or the orchestrator never learns why.
      process.send?.({ type: 'failed', error: /** @type {Error} */ (e).message }, () =>
        process.exit(1),
      )
    }
  })
  process.on('disconnect', () => process.exit(0))
}

async function viaCli() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      concurrency: { type: 'string', short: 'c', default: '8' },
      requests: { type: 'string', short: 'n', default: '20000' },
      duration: { type: 'string', short: 'd', default: '5' },
      timeout: { type: 'string', default: '15' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help || !values.url) {
    process.stdout.write(
      'usage: node loadgen.mjs --url http://127.0.0.1:<port>/mcp [-c 8] [-n 20000] [-d 5 (s)] [--timeout 15 (s)]\n',
    )
    process.exit(values.help ? 0 : 2)
  }
  const p = await prepare({
    url: values.url,
    concurrency: Number(values.concurrency),
    maxRequests: Number(values.requests),
    durationMs: Number(values.duration) * 1000,
    requestTimeoutMs: Number(values.timeout) * 1000,
  })
  const result = await p.run()
  await p.close()
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
}

if (process.send) await viaIpc()
else await viaCli()
