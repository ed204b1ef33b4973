/**
 * The API server's watch fan-out (Kubernetes' Cacher): one store watch per collection prefix, its
 * events handed synchronously to every API watcher of that prefix, instead of one store watch — and
 * one woken fiber per event — per watcher. A bounded window of recent events lets a new watcher
 * start from a past revision; one older than the window gets a store watch of its own, so what a
 * watcher sees (replay, Expired for a compacted revision, store failures) is what the store says.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import type { FutureRevision, Revision, Store, StoreUnavailable, TooOld, WatchEvent } from "../store/Store.js"

/** Where one API watcher's events go; both calls are synchronous, from the fan-out. */
export interface Sink {
  /** Events after the watcher's `from`, in revision order. */
  readonly events: (events: ReadonlyArray<WatchEvent>) => void
  /** The store watch ended: with an error, a defect, or (undefined) by itself. */
  readonly end: (cause: Cause.Cause<TooOld | StoreUnavailable> | undefined) => void
}

export interface Cacher {
  /**
   * Sends `sink` the changes under `prefix` after `from` until it ends; the answer stops them. Fails
   * like the store does when `from` is compacted or the store is unavailable.
   */
  readonly watch: (
    prefix: string,
    from: Revision,
    sink: Sink
  ) => Effect.Effect<Effect.Effect<void>, TooOld | StoreUnavailable | FutureRevision>
}

/** Recent events kept per prefix for watchers that start a little in the past. */
export const windowSize = 1_000

interface Subscriber {
  readonly from: Revision
  readonly sink: Sink
}

/** One store watch of a prefix and the watchers it feeds. */
interface Feed {
  readonly subscribers: Set<Subscriber>
  /** The last events dispatched, oldest first; every event of the prefix after `windowFrom` is here. */
  window: Array<WatchEvent>
  windowFrom: Revision
  fiber: Fiber.RuntimeFiber<void> | undefined
}

/** Hands `events` after the subscriber's `from` to its sink. */
const send = (subscriber: Subscriber, events: ReadonlyArray<WatchEvent>): void => {
  let i = 0
  while (i < events.length && events[i]!.revision <= subscriber.from) i++
  if (i < events.length) subscriber.sink.events(i === 0 ? events : events.slice(i))
}

/** A Cacher over `store`. */
export const make = (store: Store["Type"]): Cacher => {
  // Map order is creation order, and subscribers are Sets in arrival order: dispatch runs the same every time.
  const feeds = new Map<string, Feed>()

  const dispatch = (feed: Feed, events: ReadonlyArray<WatchEvent>): void => {
    if (events.length === 0) return
    feed.window.push(...events)
    if (feed.window.length > windowSize) {
      const dropped = feed.window.length - windowSize
      feed.windowFrom = feed.window[dropped - 1]!.revision
      feed.window = feed.window.slice(dropped)
    }
    for (const subscriber of feed.subscribers) send(subscriber, events)
  }

  const stop = (prefix: string, feed: Feed): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (feeds.get(prefix) === feed) feeds.delete(prefix)
      const fiber = feed.fiber
      feed.fiber = undefined
      return fiber === undefined ? Effect.void : Fiber.interrupt(fiber)
    })

  // The feed's fiber outlives the request that started it: it stops when its last watcher leaves.
  const start = (prefix: string, from: Revision): Effect.Effect<Feed> =>
    Effect.gen(function* () {
      const feed: Feed = { subscribers: new Set(), window: [], windowFrom: from, fiber: undefined }
      feeds.set(prefix, feed)
      const run = Stream.runForEachChunk(store.watch(prefix, from), (chunk) =>
        Effect.sync(() => dispatch(feed, Chunk.toReadonlyArray(chunk)))
      ).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            if (exit._tag === "Failure" && Cause.isInterruptedOnly(exit.cause)) return
            if (feeds.get(prefix) === feed) feeds.delete(prefix)
            const cause = exit._tag === "Failure" ? exit.cause : undefined
            for (const subscriber of feed.subscribers) subscriber.sink.end(cause)
            feed.subscribers.clear()
          })
        ),
        Effect.ignore
      )
      // Interruptible even when the watch starts in an acquire (uninterruptible): leaving stops it.
      feed.fiber = yield* Effect.forkDaemon(Effect.interruptible(run))
      return feed
    })

  /** Replays the window after `from`, then follows the feed; answers how to leave it. */
  const join = (prefix: string, feed: Feed, from: Revision, sink: Sink): Effect.Effect<Effect.Effect<void>> =>
    Effect.sync(() => {
      const subscriber: Subscriber = { from, sink }
      send(subscriber, feed.window)
      feed.subscribers.add(subscriber)
      return Effect.suspend(() =>
        !feed.subscribers.delete(subscriber) || feed.subscribers.size > 0 ? Effect.void : stop(prefix, feed)
      )
    })

  /** A watcher older than the window: a store watch of its own, as before the Cacher. */
  const alone = (prefix: string, from: Revision, sink: Sink) =>
    Effect.gen(function* () {
      const stream = store.watch(prefix, from)
      const fiber = yield* Effect.forkDaemon(
        Stream.runForEachChunk(stream, (chunk) => Effect.sync(() => sink.events(Chunk.toReadonlyArray(chunk)))).pipe(
          Effect.onExit((exit) =>
            exit._tag === "Failure" && Cause.isInterruptedOnly(exit.cause)
              ? Effect.void
              : Effect.sync(() => sink.end(exit._tag === "Failure" ? exit.cause : undefined))
          ),
          Effect.ignore,
          Effect.interruptible
        )
      )
      return Fiber.interrupt(fiber).pipe(Effect.asVoid)
    })

  const watch: Cacher["watch"] = (prefix, from, sink) =>
    Effect.gen(function* () {
      const feed = feeds.get(prefix)
      if (feed === undefined) {
        const started = yield* start(prefix, from)
        return yield* join(prefix, started, from, sink)
      }
      if (from < feed.windowFrom) return yield* alone(prefix, from, sink)
      // The window may hold what the store has compacted since: the store decides, as it did per watcher.
      yield* store.list(prefix, { revision: from, limit: 1 })
      // A watch from a revision the store has not reached is refused before it gets here.
      return yield* join(prefix, feed, from, sink)
    })

  return { watch }
}
