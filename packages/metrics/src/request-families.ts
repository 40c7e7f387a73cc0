// The exposition of what metrics() counts per message.
import type { Bounds } from './buckets.js'
import { header, sample } from './exposition.js'
import type { FamilyBlock } from './internals.js'
import { outcomes } from './outcomes.js'
import { type Cell, CLIENT_REQUESTS, REQUESTS, type RequestCells } from './request-cells.js'
import { writeHistogram } from './user-family.js'

export const DURATION = 'mcpx_request_duration_seconds'
export const IN_FLIGHT = 'mcpx_requests_in_flight'

const OUTCOME_PAIRS = outcomes.map((o) => `outcome="${o}"`)

/** A cell's outcome counts: a sample for each outcome counted at least once. */
function writeOutcomes(out: string[], name: string, cell: Cell): void {
  const counts = cell.outcomes
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] as number
    if (n > 0) out.push(sample(name, `${cell.pairs},${OUTCOME_PAIRS[i]}`, n))
  }
}

export function requestBlocks(
  cells: RequestCells,
  bounds: Bounds,
  clients: boolean,
  inFlight: () => number,
): FamilyBlock[] {
  const blocks: FamilyBlock[] = [
    {
      names: [REQUESTS],
      write(out) {
        out.push(
          header(
            REQUESTS,
            'Messages handled, by method, upstream, tool (tools/call) and outcome.',
            'counter',
          ),
        )
        for (const cell of cells.cells) writeOutcomes(out, REQUESTS, cell)
      },
    },
    {
      names: [DURATION, `${DURATION}_bucket`, `${DURATION}_sum`, `${DURATION}_count`],
      write(out) {
        out.push(
          header(
            DURATION,
            'Time from a message entering the middleware until its answer, by method, upstream and tool.',
            'histogram',
          ),
        )
        for (const cell of cells.cells) {
          writeHistogram(
            out,
            DURATION,
            cell.pairs,
            bounds,
            cell.counts,
            cell.sumMs / 1000,
            cell.count,
          )
        }
      },
    },
  ]
  if (clients) {
    blocks.push({
      names: [CLIENT_REQUESTS],
      write(out) {
        out.push(header(CLIENT_REQUESTS, 'Messages handled, by client and outcome.', 'counter'))
        for (const cell of cells.clientCells) writeOutcomes(out, CLIENT_REQUESTS, cell)
      },
    })
  }
  blocks.push({
    names: [IN_FLIGHT],
    write(out) {
      out.push(header(IN_FLIGHT, 'Messages inside the metrics middleware now.', 'gauge'))
      out.push(sample(IN_FLIGHT, '', inFlight()))
    },
  })
  return blocks
}
