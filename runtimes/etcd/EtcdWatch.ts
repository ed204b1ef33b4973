/**
 * The etcd Store's watch: one etcd watch per Store watch, on a gRPC stream of its own, closed with
 * the Store stream's scope. It never resumes by itself (etcd3's own `Watcher` reconnects from the
 * revision of the last response header, which can skip events): a broken stream ends the Store
 * stream with StoreUnavailable and a compacted start with TooOld, and the caller lists again.
 *
 * etcd is asked for events from `from` itself, not `from + 1`, and the events at `from` are dropped:
 * etcd refuses a watch that starts below its compacted revision, so this refuses exactly the `from`
 * below it, as MemoryStore does. (From `compacted + 1`, etcd would answer but could miss a deletion
 * made at the compacted revision, whose tombstone compaction removes.)
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { IEvent, IWatchResponse } from "etcd3"
import { type Revision, StoreUnavailable, TooOld, type WatchEvent } from "../../core/store/Store.js"
import type { EtcdClient } from "./EtcdClient.js"
import type { Keyspace } from "./Keyspace.js"

const openStream = (client: EtcdClient, what: string) =>
  Effect.acquireRelease(
    client.call(what, (etcd) => etcd.watchClient.watch()),
    (stream) => Effect.sync(() => stream.cancel())
  )

/** The Store event of an etcd event; undefined when etcd no longer has the previous value (compacted). */
const toStoreEvent = (keyspace: Keyspace, event: IEvent): WatchEvent | undefined => {
  const revision = Number(event.kv.mod_revision)
  // etcd's typings say prev_kv is always there; it is null when not kept.
  const prev = event.prev_kv as IEvent["prev_kv"] | null
  if (event.type === "Put") {
    const entry = keyspace.entry(event.kv)
    if (entry.createRevision === entry.modRevision) return { type: "ADDED", entry, revision }
    return prev === null ? undefined : { type: "MODIFIED", entry, previous: keyspace.entry(prev), revision }
  }
  if (prev === null) return undefined
  const previous = keyspace.entry(prev)
  return { type: "DELETED", entry: { ...previous, modRevision: revision }, previous, revision }
}

/**
 * Every change under `prefix` after `from`, then live changes. A consumer that falls more than
 * `backlog` events behind is dropped: it reads what was queued, then TooOld.
 */
export const watch = (
  client: EtcdClient,
  keyspace: Keyspace,
  backlog: number,
  prefix: string,
  from: Revision
): Stream.Stream<WatchEvent, TooOld | StoreUnavailable> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const what = `watch ${prefix} from ${from}`
      const deliveries = yield* Queue.unbounded<Chunk.Chunk<WatchEvent> | TooOld | StoreUnavailable>()
      let ended = false
      let queued = 0
      let lastQueued = from
      const stream = yield* openStream(client, what)
      yield* Effect.addFinalizer(() => Effect.sync(() => (ended = true)))
      const end = (error: TooOld | StoreUnavailable) => {
        if (ended) return
        ended = true
        Queue.unsafeOffer(deliveries, error)
        stream.cancel()
      }
      const receive = (response: IWatchResponse) => {
        if (ended) return
        const compacted = Number(response.compact_revision)
        if (compacted > 0) return end(new TooOld({ requested: from, compacted }))
        if (response.canceled) return end(client.unavailable(what, `etcd canceled it: ${response.cancel_reason}`))
        const events: Array<WatchEvent> = []
        const deliver = () => {
          if (events.length === 0) return
          queued += events.length
          Queue.unsafeOffer(deliveries, Chunk.unsafeFromArray(events))
        }
        for (const event of response.events) {
          const revision = Number(event.kv.mod_revision)
          if (revision <= from) continue
          const converted = toStoreEvent(keyspace, event)
          if (converted === undefined || queued + events.length === backlog) {
            deliver()
            // Without the previous value etcd has compacted at least up to this event; a dropped
            // consumer's history ends with its last queued event.
            const compacted = converted === undefined ? revision : lastQueued
            return end(new TooOld({ requested: from, compacted }))
          }
          events.push(converted)
          lastQueued = revision
        }
        deliver()
      }
      stream.on("data", (response) => {
        try {
          receive(response)
        } catch (cause) {
          end(client.unavailable(what, cause))
        }
      })
      stream.on("error", (cause) => end(client.unavailable(what, cause)))
      stream.on("end", () => end(client.unavailable(what, "the watch stream ended")))
      const { start, end: rangeEnd } = keyspace.range(prefix)
      stream.write({
        create_request: { key: start, range_end: rangeEnd, start_revision: Math.max(from, 1), prev_kv: true }
      })
      return Stream.repeatEffectChunkOption(
        Effect.flatMap(Queue.take(deliveries), (delivery) => {
          if (!Chunk.isChunk(delivery)) return Effect.fail(Option.some(delivery))
          queued -= delivery.length
          return Effect.succeed(delivery)
        })
      )
    })
  )

/**
 * etcd's compacted revision, which its refusal of a read does not tell: a watch from revision 1
 * answers with it. Only asked once etcd has refused a revision as compacted (so it is above 1).
 */
export const compactedRevision = (
  client: EtcdClient,
  keyspace: Keyspace
): Effect.Effect<Revision, StoreUnavailable> => {
  const what = "read the compacted revision"
  return Effect.scoped(
    Effect.flatMap(openStream(client, what), (stream) =>
      Effect.async<Revision, StoreUnavailable>((resume) => {
        let answered = false
        const answer = (result: Effect.Effect<Revision, StoreUnavailable>) => {
          if (answered) return
          answered = true
          resume(result)
        }
        stream.on("data", (response) => {
          const compacted = Number(response.compact_revision)
          if (compacted > 0) answer(Effect.succeed(compacted))
        })
        stream.on("error", (cause) => answer(Effect.fail(client.unavailable(what, cause))))
        stream.on("end", () => answer(Effect.fail(client.unavailable(what, "the watch stream ended"))))
        stream.write({ create_request: { key: keyspace.key("/"), start_revision: 1 } })
      }).pipe(
        Effect.timeoutFail({
          duration: client.timeout,
          onTimeout: () => client.unavailable(what, "no answer in time")
        })
      )
    )
  )
}
