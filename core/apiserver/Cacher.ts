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
import type { KubeObject } from "../api/meta.js"
import type { FutureRevision, Revision, Store, StoreUnavailable, TooOld, WatchEvent } from "../store/Store.js"

/** Where one API watcher's events go; both calls are synchronous, from the fan-out. */
export interface Sink {
  /** Events after the watcher's `from`, in revision order. */
  readonly events: (events: ReadonlyArray<WatchEvent>) => void
  /** The store watch ended: with an error, a defect, or (undefined) by itself. */
  readonly end: (cause: Cause.Cause<TooOld | StoreUnavailable> | undefined) => void
}

/**
 * A field a watcher pins to one value (see `SelectionPredicate.triggerOf`): the watcher gets only
 * the events of objects whose field has, or had, that value (its own selection still applies).
 */
export interface Trigger {
  /** Names the field: watchers pinned on the same field share one index. */
  readonly field: string
  readonly of: (value: KubeObject) => string | undefined
  readonly value: string
}

/** A watch in progress. */
export interface Watching {
  /** Stops the changes. */
  readonly leave: Effect.Effect<void>
  /**
   * The revision of the last change this watcher has been handed or passed over (a pinned watcher
   * is not handed the others); undefined when only its own events tell.
   */
  readonly latest: () => Revision | undefined
}

export interface Cacher {
  /**
   * Sends `sink` the changes under `prefix` after `from` until it ends. Fails like the store does
   * when `from` is compacted or the store is unavailable.
   */
  readonly watch: (
    prefix: string,
    from: Revision,
    sink: Sink,
    trigger?: Trigger
  ) => Effect.Effect<Watching, TooOld | StoreUnavailable | FutureRevision>
}

/** Recent events kept per prefix for watchers that start a little in the past (between this and twice this). */
export const windowSize = 1_000

interface Subscriber {
  readonly from: Revision
  readonly sink: Sink
  readonly trigger: Trigger | undefined
}

/** The subscribers pinned on one field, by the value they want. */
interface Index {
  readonly of: (value: KubeObject) => string | undefined
  readonly byValue: Map<string, Set<Subscriber>>
}

/** One store watch of a prefix and the watchers it feeds. */
interface Feed {
  readonly subscribers: Set<Subscriber>
  /** The subscribers with no trigger: every event goes to them. */
  readonly plain: Set<Subscriber>
  readonly indexes: Map<string, Index>
  /** The last events dispatched, oldest first; every event of the prefix after `windowFrom` is here. */
  window: Array<WatchEvent>
  windowFrom: Revision
  latest: Revision | undefined
  /** Stops the store watch (interrupts its fiber, or stops the observer); runs once. */
  halt: Effect.Effect<void>
}

/** Hands `events` after the subscriber's `from` to its sink. */
const send = (subscriber: Subscriber, events: ReadonlyArray<WatchEvent>): void => {
  let i = 0
  while (i < events.length && events[i]!.revision <= subscriber.from) i++
  if (i < events.length) subscriber.sink.events(i === 0 ? events : events.slice(i))
}

/** Whether the event is of an object that has, or had, the trigger's value. */
const triggers = (trigger: Trigger, event: WatchEvent): boolean =>
  trigger.of(event.entry.value as unknown as KubeObject) === trigger.value ||
  (event.previous !== undefined && trigger.of(event.previous.value as unknown as KubeObject) === trigger.value)

/** Hands a new subscriber the recent events after its `from`: a pinned one only those of its value, as `dispatch` does. */
const replay = (subscriber: Subscriber, window: ReadonlyArray<WatchEvent>): void => {
  const trigger = subscriber.trigger
  if (trigger === undefined) return send(subscriber, window)
  const mine = window.filter((event) => event.revision > subscriber.from && triggers(trigger, event))
  if (mine.length > 0) subscriber.sink.events(mine)
}

const sendAll = (subscribers: Set<Subscriber> | undefined, event: ReadonlyArray<WatchEvent>): void => {
  if (subscribers !== undefined) for (const subscriber of subscribers) send(subscriber, event)
}

const add = (feed: Feed, subscriber: Subscriber): void => {
  feed.subscribers.add(subscriber)
  const trigger = subscriber.trigger
  if (trigger === undefined) return void feed.plain.add(subscriber)
  let index = feed.indexes.get(trigger.field)
  if (index === undefined) feed.indexes.set(trigger.field, (index = { of: trigger.of, byValue: new Map() }))
  const pinned = index.byValue.get(trigger.value)
  if (pinned === undefined) index.byValue.set(trigger.value, new Set([subscriber]))
  else pinned.add(subscriber)
}

/** Removes the subscriber; false if it was not there. */
const remove = (feed: Feed, subscriber: Subscriber): boolean => {
  if (!feed.subscribers.delete(subscriber)) return false
  const trigger = subscriber.trigger
  if (trigger === undefined) return feed.plain.delete(subscriber)
  const index = feed.indexes.get(trigger.field)
  const pinned = index?.byValue.get(trigger.value)
  pinned?.delete(subscriber)
  if (pinned !== undefined && pinned.size === 0) index!.byValue.delete(trigger.value)
  return true
}

/** A Cacher over `store`. */
export const make = (store: Store["Type"]): Cacher => {
  // Map order is creation order, and subscribers are Sets in arrival order: dispatch runs the same every time.
  const feeds = new Map<string, Feed>()

  const dispatch = (feed: Feed, events: ReadonlyArray<WatchEvent>): void => {
    if (events.length === 0) return
    for (const event of events) feed.window.push(event)
    feed.latest = events[events.length - 1]!.revision
    // Trimmed to `windowSize` once it holds twice that: a copy per `windowSize` events, not per event.
    if (feed.window.length >= 2 * windowSize) {
      const dropped = feed.window.length - windowSize
      feed.windowFrom = feed.window[dropped - 1]!.revision
      feed.window = feed.window.slice(dropped)
    }
    for (const subscriber of feed.plain) send(subscriber, events)
    if (feed.indexes.size === 0) return
    // Pinned watchers get each event of an object that has, or had, their value, in revision order.
    for (const event of events) {
      const one = [event]
      for (const index of feed.indexes.values()) {
        const now = index.of(event.entry.value as unknown as KubeObject)
        const before =
          event.previous === undefined ? undefined : index.of(event.previous.value as unknown as KubeObject)
        if (now !== undefined) sendAll(index.byValue.get(now), one)
        if (before !== undefined && before !== now) sendAll(index.byValue.get(before), one)
      }
    }
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
    for (const subscriber of subscribers) remove(feed, subscriber)
    for (const subscriber of subscribers) subscriber.sink.end(cause)
  }

  const newFeed = (prefix: string, from: Revision): Feed => {
    const feed: Feed = {
      subscribers: new Set(),
      plain: new Set(),
      indexes: new Map(),
      window: [],
      windowFrom: from,
      latest: undefined,
      halt: Effect.void
    }
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
  const join = (
    prefix: string,
    feed: Feed,
    from: Revision,
    sink: Sink,
    trigger: Trigger | undefined
  ): Effect.Effect<Watching> =>
    Effect.sync(() => {
      const subscriber: Subscriber = { from, sink, trigger }
      replay(subscriber, feed.window)
      add(feed, subscriber)
      // The last watcher to leave stops the store watch; after the store ended it, any leaving one does.
      const leave = Effect.suspend(() => {
        const left = remove(feed, subscriber)
        if (left && feed.subscribers.size > 0) return Effect.void
        return left ? stop(prefix, feed) : feed.halt
      })
      return { leave, latest: () => feed.latest }
    })

  /**
   * A watcher older than the window: a store watch of its own, as before the Cacher (an observer
   * when the store has them, so it costs a call per event rather than a fiber woken per event).
   */
  const alone = (prefix: string, from: Revision, sink: Sink): Effect.Effect<Watching, TooOld | StoreUnavailable> =>
    store.observe === undefined
      ? streamedAlone(prefix, from, sink)
      : Effect.map(
          store.observe(prefix, from, { events: sink.events, end: (error) => sink.end(Cause.fail(error)) }),
          (unobserve): Watching => ({ leave: unobserve, latest: () => undefined })
        )

  const streamedAlone = (prefix: string, from: Revision, sink: Sink) =>
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
      return { leave: Fiber.interrupt(fiber).pipe(Effect.asVoid), latest: () => undefined } satisfies Watching
    })

  const watch: Cacher["watch"] = (prefix, from, sink, trigger) =>
    Effect.gen(function* () {
      const feed = feeds.get(prefix)
      if (feed === undefined) {
        const started = yield* start(prefix, from)
        return yield* join(prefix, started, from, sink, trigger)
      }
      if (from < feed.windowFrom) return yield* alone(prefix, from, sink)
      // Served from the window even when the store has compacted it since, as Kubernetes' watch cache
      // does. A watch from a revision the store has not reached is refused before it gets here.
      return yield* join(prefix, feed, from, sink, trigger)
    })

  return { watch }
}
