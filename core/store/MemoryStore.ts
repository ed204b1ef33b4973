/**
 * MemoryStore: the in-process `Store`, with etcd's semantics (one global revision, compare-and-swap on
 * modRevision, watch from a revision, compaction). It backs every simulated run and is the embedded
 * default in real mode, so it is built for speed: keys are kept in a `KeyIndex` for O(log n + k) range reads,
 * history is an array of events addressed by revision, and watch fan-out only visits watchers whose
 * prefix matches the written key. A key written with a ttl is deleted by the first operation at or
 * after its expiry on the Clock the store was made with (no timer of its own; a live cluster
 * calls its store every few seconds, and etcd's own expiry is not exact either).
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { Heap } from "../scheduler/Heap.js"
import { KeyIndex } from "./KeyIndex.js"
import {
  type Entry,
  FutureRevision,
  KeyExists,
  KeyNotFound,
  type ListOptions,
  type ListResult,
  type Observer,
  type Revision,
  RevisionConflict,
  Store,
  TooOld,
  type Value,
  type WatchEvent,
  type WriteOptions
} from "./Store.js"

/** The `Store` service plus what only an in-process store can tell (for tests). */
export interface MemoryStore extends Service {
  readonly observe: NonNullable<Service["observe"]>
  /** How many watch streams and observers are open right now. */
  readonly watcherCount: Effect.Effect<number>
}
type Service = Store["Type"]

/** How many past events are kept for watch replay and reads at past revisions, unless compacted earlier. */
export const defaultHistoryLimit = 10_000

/** How many undelivered events a watcher may hold before it is dropped with TooOld. */
export const defaultWatchBacklog = 10_000

/** Queued after a dropped watcher's last event: its stream ends there with TooOld. */
const dropped: unique symbol = Symbol("dropped")

interface Watcher {
  readonly prefix: string
  readonly from: Revision
  readonly queue: Queue.Queue<WatchEvent | typeof dropped>
}

const byKey = (a: Entry, b: Entry) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

/**
 * Freezes `value` and everything in it, as the store freezes what it is given; answers `value`. A
 * frozen object is taken as deep-frozen (the store froze it, or a copy-on-write update reused it),
 * so freezing an update only walks its new parts. Its strings are flattened on the way: a string
 * made by `replace` or `+` is a tree of pieces until it is read (a timestamp from `toISOString().replace`
 * takes twice the memory of a flat one), and what the store is given lives long.
 */
export const deepFreeze = <A>(value: A): A => {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value
  Object.freeze(value)
  for (const child of Object.values(value)) {
    // Reading a character flattens the string in place: every holder of it gets the flat one.
    if (typeof child === "string") child.charCodeAt(0)
    else deepFreeze(child)
  }
  return value
}

/** The smallest string greater than every string starting with `prefix` (etcd's range end); undefined: no bound. */
const prefixEnd = (prefix: string): string | undefined => {
  let end = prefix.length
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--
  return end === 0 ? undefined : prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1)
}

const freezeEntry = (key: string, value: Value, createRevision: Revision, modRevision: Revision): Entry =>
  Object.freeze({ key, value, createRevision, modRevision })

/** When a key written with a ttl expires, in milliseconds on the store's Clock. */
interface Expiry {
  readonly key: string
  readonly at: number
}

/** Earliest first; keys expiring at one instant go in key order. */
const expiresFirst = (a: Expiry, b: Expiry): boolean => a.at < b.at || (a.at === b.at && a.key < b.key)

/**
 * A MemoryStore; `historyLimit` bounds the events kept (older ones count as compacted) and
 * `watchBacklog` the events queued for one watcher that does not keep up (Kubernetes closes such a watcher too).
 * Ttls count on the Clock in context when it is made.
 */
export const makeWith = (
  options: { readonly historyLimit?: number; readonly watchBacklog?: number } = {}
): Effect.Effect<MemoryStore> =>
  Effect.map(Effect.clock, (clock) => {
    const historyLimit = Math.max(0, options.historyLimit ?? defaultHistoryLimit)
    const watchBacklog = Math.max(1, options.watchBacklog ?? defaultWatchBacklog)
    let revision = 0
    // Every event with revision in (compacted, revision] is kept, oldest at history[head].
    let compacted = 0
    let history: Array<WatchEvent> = []
    let head = 0
    const entries = new Map<string, Entry>()
    const index = new KeyIndex()
    // Watchers grouped by prefix: fan-out cost is per distinct prefix, not per watcher.
    const watchers = new Map<string, Set<Watcher>>()
    // Observers (synchronous watchers) by prefix, in subscription order.
    const observers = new Map<string, Set<{ readonly from: Revision; readonly observer: Observer }>>()
    let watcherCount = 0
    // The keys whose last write gave a ttl, by expiry.
    const expiries = new Heap<Expiry>(expiresFirst)

    const eventAt = (rev: Revision): WatchEvent => history[head + rev - compacted - 1]

    const dropHistory = (count: number): void => {
      head += count
      compacted += count
      // Reclaim the dropped prefix of the array once it is most of it (amortised O(1) per event).
      if (head > 1024 && head * 2 > history.length) {
        history = history.slice(head)
        head = 0
      }
    }

    const record = (event: WatchEvent): void => {
      Object.freeze(event)
      history.push(event)
      if (revision - compacted > historyLimit) dropHistory(revision - compacted - historyLimit)
      for (const [prefix, group] of watchers) {
        if (!event.entry.key.startsWith(prefix)) continue
        for (const watcher of group) {
          if (event.revision <= watcher.from) continue
          const backlog = Option.getOrElse(watcher.queue.unsafeSize(), () => 0)
          if (backlog < watchBacklog) Queue.unsafeOffer(watcher.queue, event)
          else if (forget(watcher)) Queue.unsafeOffer(watcher.queue, dropped)
        }
      }
      if (observers.size === 0) return
      const events = [event]
      for (const [prefix, group] of observers) {
        if (!event.entry.key.startsWith(prefix)) continue
        for (const { from, observer } of group) if (event.revision > from) observer.events(events)
      }
    }

    /** Removes a watcher from fan-out; false if it was already removed. */
    const forget = (watcher: Watcher): boolean => {
      const group = watchers.get(watcher.prefix)
      if (group === undefined || !group.delete(watcher)) return false
      if (group.size === 0) watchers.delete(watcher.prefix)
      watcherCount--
      return true
    }

    /** Keeps (or stops keeping) the key's expiry after a write with `options`. */
    const expireAfter = (key: string, options: WriteOptions | undefined): void => {
      const ttl = options?.ttl
      if (ttl !== undefined && ttl > 0) expiries.push(key, { key, at: clock.unsafeCurrentTimeMillis() + ttl * 1000 })
      else if (expiries.size > 0) expiries.delete(key)
    }

    const deleteEntry = (previous: Entry): Entry => {
      revision++
      // Like Kubernetes' etcd3 store: the deleted object carries the delete's revision.
      const entry = freezeEntry(previous.key, previous.value, previous.createRevision, revision)
      entries.delete(previous.key)
      index.remove(previous.key)
      if (expiries.size > 0) expiries.delete(previous.key)
      record({ type: "DELETED", entry, previous, revision })
      return entry
    }

    /** Deletes the keys whose ttl has passed, earliest first; every operation starts with it. */
    const expireDue = (): void => {
      if (expiries.size === 0) return
      const now = clock.unsafeCurrentTimeMillis()
      for (let next = expiries.peek(); next !== undefined && next.at <= now; next = expiries.peek())
        deleteEntry(entries.get(next.key)!)
    }

    const listCurrent = (prefix: string, options: ListOptions): ListResult => {
      const after = options.after !== undefined && options.after >= prefix ? options.after : undefined
      const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Infinity
      const { keys, remaining } = index.range(after ?? prefix, after !== undefined, prefixEnd(prefix), limit)
      const matching = keys.map((key) => entries.get(key)!)
      if (remaining === 0) return { entries: matching, revision }
      return { entries: matching, revision, continueAfter: keys[keys.length - 1], remaining }
    }

    // The keys changed since `at` are restored to their state then (from each one's first later event);
    // every other key reads as it is now, so only the events after `at` and the page itself are visited.
    const listPast = (prefix: string, at: Revision, options: ListOptions): ListResult => {
      const after = options.after !== undefined && options.after >= prefix ? options.after : undefined
      const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Infinity
      const changed = new Map<string, Entry | undefined>()
      for (let rev = at + 1; rev <= revision; rev++) {
        const event = eventAt(rev)
        const key = event.entry.key
        if (!key.startsWith(prefix) || (after !== undefined && key <= after) || changed.has(key)) continue
        changed.set(key, event.type === "ADDED" ? undefined : event.previous)
      }
      const restored: Array<Entry> = []
      for (const entry of changed.values()) if (entry !== undefined) restored.push(entry)
      restored.sort(byKey)
      // At most changed.size of the live keys read are skipped, so this many always fill the page.
      const read = index.range(after ?? prefix, after !== undefined, prefixEnd(prefix), limit + changed.size)
      const unchanged = read.keys.filter((key) => !changed.has(key))
      const matching: Array<Entry> = []
      let u = 0
      let r = 0
      while (matching.length < limit && (u < unchanged.length || r < restored.length)) {
        if (r === restored.length || (u < unchanged.length && unchanged[u] < restored[r].key))
          matching.push(entries.get(unchanged[u++])!)
        else matching.push(restored[r++])
      }
      // Live keys beyond the read count only when unchanged since `at`.
      let unchangedBeyond = read.remaining
      if (unchangedBeyond > 0) {
        const lastRead = read.keys[read.keys.length - 1]
        for (const key of changed.keys()) if (key > lastRead && entries.has(key)) unchangedBeyond--
      }
      const remaining = unchanged.length - u + (restored.length - r) + unchangedBeyond
      if (remaining === 0) return { entries: matching, revision: at }
      return { entries: matching, revision: at, continueAfter: matching[matching.length - 1].key, remaining }
    }

    const get: Service["get"] = (key) =>
      Effect.suspend(() => {
        expireDue()
        const entry = entries.get(key)
        return entry === undefined ? Effect.fail(new KeyNotFound({ key })) : Effect.succeed(entry)
      })

    const list: Service["list"] = (prefix, options = {}) =>
      Effect.suspend((): ReturnType<Service["list"]> => {
        expireDue()
        const at = options.revision ?? revision
        if (at < compacted) return Effect.fail(new TooOld({ requested: at, compacted }))
        if (at > revision) return Effect.fail(new FutureRevision({ requested: at, current: revision }))
        return Effect.succeed(at === revision ? listCurrent(prefix, options) : listPast(prefix, at, options))
      })

    const create: Service["create"] = (key, value, options) =>
      Effect.suspend(() => {
        expireDue()
        if (entries.has(key)) return Effect.fail(new KeyExists({ key }))
        deepFreeze(value)
        revision++
        const entry = freezeEntry(key, value, revision, revision)
        entries.set(key, entry)
        index.insert(key)
        expireAfter(key, options)
        record({ type: "ADDED", entry, revision })
        return Effect.succeed(entry)
      })

    const update: Service["update"] = (key, value, expected, options) =>
      Effect.suspend((): ReturnType<Service["update"]> => {
        expireDue()
        const previous = entries.get(key)
        if (previous === undefined) return Effect.fail(new KeyNotFound({ key }))
        if (previous.modRevision !== expected)
          return Effect.fail(new RevisionConflict({ key, expected, current: previous }))
        deepFreeze(value)
        revision++
        const entry = freezeEntry(key, value, previous.createRevision, revision)
        entries.set(key, entry)
        expireAfter(key, options)
        record({ type: "MODIFIED", entry, previous, revision })
        return Effect.succeed(entry)
      })

    const remove: Service["delete"] = (key, expected) =>
      Effect.suspend((): ReturnType<Service["delete"]> => {
        expireDue()
        const previous = entries.get(key)
        if (previous === undefined) return Effect.fail(new KeyNotFound({ key }))
        if (expected !== undefined && previous.modRevision !== expected)
          return Effect.fail(new RevisionConflict({ key, expected, current: previous }))
        return Effect.succeed(deleteEntry(previous))
      })

    /** The kept events under `prefix` after `from` (not compacted), oldest first. */
    const eventsAfter = (prefix: string, from: Revision): Array<WatchEvent> => {
      const events: Array<WatchEvent> = []
      for (let rev = from + 1; rev <= revision; rev++) {
        const event = eventAt(rev)
        if (event.entry.key.startsWith(prefix)) events.push(event)
      }
      return events
    }

    // Registration and the history snapshot happen in one synchronous step, so no write falls between them.
    const subscribe = (prefix: string, from: Revision, queue: Watcher["queue"]) =>
      Effect.suspend(() => {
        expireDue()
        if (from < compacted) return Effect.fail(new TooOld({ requested: from, compacted }))
        const replay = eventsAfter(prefix, from)
        const watcher: Watcher = { prefix, from, queue }
        const group = watchers.get(prefix)
        if (group === undefined) watchers.set(prefix, new Set([watcher]))
        else group.add(watcher)
        watcherCount++
        return Effect.succeed({ watcher, replay })
      })

    const unsubscribe = (watcher: Watcher) =>
      Effect.suspend(() => {
        forget(watcher)
        return Queue.shutdown(watcher.queue)
      })

    const observe: NonNullable<Service["observe"]> = (prefix, from, observer) =>
      Effect.suspend(() => {
        expireDue()
        if (from < compacted) return Effect.fail(new TooOld({ requested: from, compacted }))
        const replay = eventsAfter(prefix, from)
        if (replay.length > 0) observer.events(replay)
        let group = observers.get(prefix)
        if (group === undefined) observers.set(prefix, (group = new Set()))
        const subscription = { from, observer }
        group.add(subscription)
        watcherCount++
        const subscribed = group
        return Effect.succeed(
          Effect.sync(() => {
            if (!subscribed.delete(subscription)) return
            if (subscribed.size === 0 && observers.get(prefix) === subscribed) observers.delete(prefix)
            watcherCount--
          })
        )
      })

    const watch: Service["watch"] = (prefix, from) =>
      Stream.unwrapScoped(
        Effect.gen(function* () {
          const queue = yield* Queue.unbounded<WatchEvent | typeof dropped>()
          const { replay } = yield* Effect.acquireRelease(subscribe(prefix, from, queue), ({ watcher }) =>
            unsubscribe(watcher)
          )
          // A dropped watcher reads what was queued, then ends: what it missed is gone from its view.
          const live = Stream.fromQueue(queue).pipe(
            Stream.takeWhile((item): item is WatchEvent => item !== dropped),
            Stream.concat(Stream.suspend(() => Stream.fail(new TooOld({ requested: from, compacted }))))
          )
          return Stream.concat(Stream.fromChunk(Chunk.unsafeFromArray(replay)), live)
        })
      )

    const compact: Service["compact"] = (rev) =>
      Effect.sync(() => {
        expireDue()
        const target = Math.min(rev, revision)
        if (target > compacted) dropHistory(target - compacted)
      })

    return {
      get,
      list,
      create,
      update,
      delete: remove,
      watch,
      observe,
      revision: Effect.sync(() => {
        expireDue()
        return revision
      }),
      compact,
      watcherCount: Effect.sync(() => watcherCount)
    }
  })

/** A MemoryStore with the default history limit. */
export const make: Effect.Effect<MemoryStore> = makeWith()

/** The `Store` service backed by a fresh MemoryStore. */
export const layer: Layer.Layer<Store> = Layer.effect(Store, make)
