/**
 * The API server's watch fan-out (Kubernetes' Cacher): one store watch per collection prefix, its
 * events handed synchronously to every API watcher of that prefix, instead of one store watch — and
 * one woken fiber per event — per watcher. An in-process store (`observe`) hands each write's event
 * over from the write itself; any other store is read by one fiber per prefix. A bounded window of
 * recent events lets a new watcher start from a past revision, as Kubernetes' watch cache serves
 * them (even if the store has compacted them since); one older than the window gets a store watch
 * of its own, so it sees what the store says (replay, or Expired for a compacted revision).
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
  /** Stops the store watch (interrupts its fiber, or stops the observer); runs once. */
  halt: Effect.Effect<void>
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
      return feed.halt
    })

  // The store watch ended by itself: its watchers end with it, and the next watcher starts a new one.
  const ended = (prefix: string, feed: Feed, cause: Cause.Cause<TooOld | StoreUnavailable> | undefined): void => {
    if (feeds.get(prefix) === feed) feeds.delete(prefix)
    const subscribers = [...feed.subscribers]
    feed.subscribers.clear()
    for (const subscriber of subscribers) subscriber.sink.end(cause)
  }

  const newFeed = (prefix: string, from: Revision): Feed => {
    const feed: Feed = { subscribers: new Set(), window: [], windowFrom: from, halt: Effect.void }
    feeds.set(prefix, feed)
    return feed
  }

  // An in-process store hands each write's event over synchronously: no fiber per feed.
  const observed = (
    prefix: string,
    from: Revision,
    observe: NonNullable<Store["Type"]["observe"]>
  ): Effect.Effect<Feed, TooOld | StoreUnavailable> =>
    Effect.suspend(() => {
      const feed = newFeed(prefix, from)
      return observe(prefix, from, {
        events: (events) => dispatch(feed, events),
        end: (error) => ended(prefix, feed, Cause.fail(error))
      }).pipe(
        Effect.map((unobserve) => {
          let halted = false
          feed.halt = Effect.suspend(() => {
            if (halted) return Effect.void
            halted = true
            return unobserve
          })
          return feed
        }),
        Effect.tapError(() => Effect.sync(() => feeds.get(prefix) === feed && feeds.delete(prefix)))
      )
    })

  // The feed's fiber outlives the request that started it: it stops when its last watcher leaves.
  const streamed = (prefix: string, from: Revision): Effect.Effect<Feed> =>
    Effect.gen(function* () {
      const feed = newFeed(prefix, from)
      const run = Stream.runForEachChunk(store.watch(prefix, from), (chunk) =>
        Effect.sync(() => dispatch(feed, Chunk.toReadonlyArray(chunk)))
      ).pipe(
        Effect.onExit((exit) =>
          exit._tag === "Failure" && Cause.isInterruptedOnly(exit.cause)
            ? Effect.void
            : Effect.sync(() => ended(prefix, feed, exit._tag === "Failure" ? exit.cause : undefined))
        ),
        Effect.ignore
      )
      // Interruptible even when the watch starts in an acquire (uninterruptible): leaving stops it.
      const fiber = yield* Effect.forkDaemon(Effect.interruptible(run))
      feed.halt = Fiber.interrupt(fiber).pipe(Effect.asVoid)
      return feed
    })

  const start = (prefix: string, from: Revision): Effect.Effect<Feed, TooOld | StoreUnavailable> =>
    store.observe === undefined ? streamed(prefix, from) : observed(prefix, from, store.observe)

  /** Replays the window after `from`, then follows the feed; answers how to leave it. */
  const join = (prefix: string, feed: Feed, from: Revision, sink: Sink): Effect.Effect<Effect.Effect<void>> =>
    Effect.sync(() => {
      const subscriber: Subscriber = { from, sink }
      send(subscriber, feed.window)
      feed.subscribers.add(subscriber)
      // The last watcher to leave stops the store watch; after the store ended it, any leaving one does.
      return Effect.suspend(() => {
        const left = feed.subscribers.delete(subscriber)
        if (left && feed.subscribers.size > 0) return Effect.void
        return left ? stop(prefix, feed) : feed.halt
      })
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
      // Served from the window even when the store has compacted it since, as Kubernetes' watch cache
      // does. A watch from a revision the store has not reached is refused before it gets here.
      return yield* join(prefix, feed, from, sink)
    })

  return { watch }
}
