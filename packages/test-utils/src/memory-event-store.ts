import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'

export interface MemoryEventStoreOptions {
  /**
   * Events kept across all streams; the oldest go first.
   * @defaultValue 1000
   */
  maxEvents?: number
}

/**
 * A bounded in-memory {@link EventStore} for one Streamable HTTP session, so the fixture can
 * resume a stream after `Last-Event-ID` (Streamable HTTP §Resumability and Redelivery).
 * Event ids are `<streamId>::<sequence>`; ids are only meaningful within their stream.
 */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const maxEvents = options.maxEvents ?? 1000
  if (!(maxEvents > 0)) throw new TypeError('[@mcpx/test-utils] maxEvents must be > 0')
  const events = new Map<string, { streamId: string; seq: number; message: JSONRPCMessage }>()
  let seq = 0

  const parse = (eventId: string) => {
    const at = eventId.lastIndexOf('::')
    return at < 0
      ? undefined
      : { streamId: eventId.slice(0, at), seq: Number(eventId.slice(at + 2)) }
  }

  return {
    async storeEvent(streamId, message) {
      seq += 1
      const eventId = `${streamId}::${seq}`
      events.set(eventId, { streamId, seq, message })
      if (events.size > maxEvents) {
        const oldest = events.keys().next().value
        if (oldest !== undefined) events.delete(oldest)
      }
      return eventId
    },
    async getStreamIdForEventId(eventId) {
      return parse(eventId)?.streamId
    },
    async replayEventsAfter(lastEventId, { send }) {
      const last = parse(lastEventId)
      if (!last) throw new Error(`unknown event id: ${lastEventId}`)
      for (const [eventId, event] of events) {
        // Priming events are stored as `{}` (SEP-1699); there is nothing to redeliver for them.
        if (event.streamId !== last.streamId || event.seq <= last.seq) continue
        if (Object.keys(event.message).length === 0) continue
        await send(eventId, event.message)
      }
      return last.streamId
    },
  }
}
