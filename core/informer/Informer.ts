/**
 * An informer: a list+watch cache of one kind (client-go's `SharedIndexInformer`). It lists, then
 * watches from the list's resourceVersion; a cut stream or an unreachable server is resumed from
 * the last resourceVersion seen, and on "too old" it re-lists and tells its handlers only what
 * changed (no lost, no duplicated events). Failed attempts back off as client-go's reflector does.
 * Reads are synchronous cache lookups; handlers run in order on the informer's own fiber.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import type { ApiError } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import type { ResourceType } from "../api/resource.js"
import { Client, type ListOptions, type WatchEvent } from "../client/Client.js"
import * as PullStream from "../apiserver/PullStream.js"
import type { Unreachable } from "../client/Transport.js"
import * as Backoff from "./internal/Backoff.js"
import * as Indexer from "./internal/Indexer.js"
import * as Lock from "./internal/Lock.js"

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones (client-go's MetaNamespaceKeyFunc). */
export const keyOf = (obj: KubeObject): string =>
  obj.metadata.namespace === undefined || obj.metadata.namespace === ""
    ? (obj.metadata.name ?? "")
    : `${obj.metadata.namespace}/${obj.metadata.name ?? ""}`

/** Splits a key made by `keyOf`. */
export const splitKey = (key: string): { readonly namespace?: string; readonly name: string } => {
  const slash = key.indexOf("/")
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}

/** An index function: the index values an object is filed under (none, one or several). */
export type IndexFunc<A> = (obj: A) => ReadonlyArray<string>

/** Index names every informer has. */
export const byNamespace = "namespace"
/** Every owner's uid (not only the controller's). */
export const byOwnerUid = "ownerUid"
/** `spec.nodeName` (pods only; empty for unbound pods, which are not indexed). */
export const byNodeName = "nodeName"
/**
 * The controller's uid (the ownerReference with `controller: true`), or `orphansOf(namespace)` for an
 * object without one: what a controller owns and what it may adopt, without a scan of the
 * namespace (Kubernetes' PodControllerUIDIndex, read by FilterPodsByOwner).
 */
export const byControllerUid = "controllerUid"

/** The `byControllerUid` value of the objects in `namespace` that have no controller (a uid never holds a slash). */
export const orphansOf = (namespace: string): string => `orphans/${namespace}`

/**
 * Handlers are Effects run in event order on the informer's fiber; a slow handler delays the
 * others (they should only enqueue keys). A failing or dying handler is logged and skipped.
 */
export interface EventHandler<A> {
  readonly onAdd?: (obj: A, isInInitialList: boolean) => Effect.Effect<void>
  /** Also called on resync with `old === obj`. */
  readonly onUpdate?: (old: A, obj: A) => Effect.Effect<void>
  /**
   * `obj` is the last state seen; when the deletion was noticed by a re-list rather than a
   * watch event, it is the cached state (client-go's `DeletedFinalStateUnknown`) and
   * `finalStateUnknown` is true.
   */
  readonly onDelete?: (obj: A, finalStateUnknown: boolean) => Effect.Effect<void>
}

export interface InformerOptions {
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
  /** Call every handler's `onUpdate(obj, obj)` for every cached object this often; omitted or zero: never. */
  readonly resyncPeriod?: Duration.DurationInput
  /** A watch lasts between this and twice this, then resumes (client-go's `MinWatchTimeout`); default 5 minutes. */
  readonly minWatchTimeout?: Duration.DurationInput
}

export interface Informer<A extends KubeObject> {
  readonly resource: ResourceType<A>
  /** The cached object under a `keyOf` key. */
  readonly get: (key: string) => A | undefined
  /** Every cached object, in a stable order (the order they were first seen). */
  readonly list: () => ReadonlyArray<A>
  /** The cached objects filed under `value` in the named index. */
  readonly byIndex: (index: string, value: string) => ReadonlyArray<A>
  /** The values the named index files cached objects under now (client-go's `ListIndexFuncValues`). */
  readonly indexValues: (index: string) => ReadonlyArray<string>
  /** Adds an index (built over the current cache at once); a name already taken is replaced. */
  readonly addIndexer: (name: string, index: IndexFunc<A>) => void
  /**
   * Registers a handler; once the informer has synced, the handler first gets `onAdd(obj, true)`
   * for every cached object (as client-go does for late handlers). Returns once registered; the
   * handler is removed when the scope closes, so a component restarted per leadership term does
   * not leave its old handlers behind. Must not be called from a handler of the same informer
   * (the registration waits for the event being delivered: a deadlock).
   */
  readonly addHandler: (handler: EventHandler<A>) => Effect.Effect<void, never, Scope.Scope>
  /** True once the first list has been delivered to the handlers. */
  readonly hasSynced: () => boolean
  /** Waits until `hasSynced`. */
  readonly waitForSync: Effect.Effect<void>
  /** The resourceVersion of the latest list or watch event applied. */
  readonly lastSyncResourceVersion: () => string
}

const namespaceIndex: IndexFunc<KubeObject> = (obj) =>
  obj.metadata.namespace === undefined || obj.metadata.namespace === "" ? [] : [obj.metadata.namespace]

const ownerUidIndex: IndexFunc<KubeObject> = (obj) => {
  const uids: Array<string> = []
  for (const ref of obj.metadata.ownerReferences ?? []) if (ref.uid !== undefined && ref.uid !== "") uids.push(ref.uid)
  return uids
}

const controllerUidIndex: IndexFunc<KubeObject> = (obj) => {
  const controller = obj.metadata.ownerReferences?.find((ref) => ref.controller === true)
  return [controller === undefined ? orphansOf(obj.metadata.namespace ?? "") : (controller.uid ?? "")]
}

const nodeNameIndex: IndexFunc<KubeObject> = (obj) => {
  const nodeName = (obj as { readonly spec?: { readonly nodeName?: unknown } }).spec?.nodeName
  return typeof nodeName === "string" && nodeName !== "" ? [nodeName] : []
}

/** A watch lasts 5 to 10 minutes (client-go's randomised `minWatchTimeout`), then resumes from its last resourceVersion. */
export const defaultMinWatchTimeout = Duration.minutes(5)

/** A watch that ends sooner than this without a single event counts as failed (client-go's "very short watch"). */
const shortWatchMillis = 1000

/** Errors after which the watch resumes from the last resourceVersion (after a backoff); any other means re-list. */
const resumable: ReadonlySet<string> = new Set([
  "Unreachable",
  "InternalError",
  "ServiceUnavailable",
  "Timeout",
  "TooManyRequests"
])

/** A watch from a revision the server has not reached (its store went back in time): only a re-list recovers. */
const isTooLargeResourceVersion = (error: ApiError | Unreachable): boolean =>
  error._tag === "Timeout" && (error.details?.causes ?? []).some((c) => c.reason === "ResourceVersionTooLarge")

/** Whether `candidate` is a later resourceVersion than `current` (numerically when both are revisions). */
const isNewer = (candidate: string | undefined, current: string | undefined): boolean => {
  if (candidate === undefined || current === undefined || candidate === "" || current === "") return true
  const a = Number(candidate)
  const b = Number(current)
  return Number.isInteger(a) && Number.isInteger(b) ? a > b : candidate !== current
}

const handlerFailed = (cause: Cause.Cause<never>): Effect.Effect<void> =>
  Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.logWarning("event handler failed", cause)

/**
 * Calls a handler at once (so call it where its effect runs: in a continuation) and answers what
 * it answers, or `undefined` for nothing to run (no callback, or `Effect.void`); a throw becomes a defect.
 */
const called = (call: () => Effect.Effect<void> | undefined): Effect.Effect<void> | undefined => {
  try {
    const effect = call()
    return effect === Effect.void ? undefined : effect
  } catch (defect) {
    return Effect.die(defect)
  }
}

/** A failure, a defect or a throw of a handler's effect is logged and swallowed so one handler cannot stop the informer. */
const guarded = (effect: Effect.Effect<void>): Effect.Effect<void> => Effect.catchAllCause(effect, handlerFailed)

/** What the reflector does after a watch: watch again at once, watch again after a backoff, or re-list after one. */
type AfterWatch = "watch" | "backoff" | "list"

/**
 * Starts an informer for `rt` in the current scope: it lists, then watches, until the scope
 * closes. Returns at once; use `waitForSync` to wait for the first list.
 */
export const make = <A extends KubeObject>(
  rt: ResourceType<A>,
  options: InformerOptions = {}
): Effect.Effect<Informer<A>, never, Client | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const cache = Indexer.make<A>({
      [byNamespace]: namespaceIndex,
      [byOwnerUid]: ownerUidIndex,
      [byNodeName]: nodeNameIndex,
      [byControllerUid]: controllerUidIndex
    })
    // Replaced, never mutated: a delivery in progress keeps the list it started with.
    let handlers: ReadonlyArray<EventHandler<A>> = []
    // One event, re-list, resync or handler registration at a time: a late handler's replay never interleaves with events.
    const lock = Lock.make()
    const synced = yield* Deferred.make<void>()
    let hasSynced = false
    let resourceVersion = ""

    const minWatchTimeoutSeconds = Duration.toSeconds(options.minWatchTimeout ?? defaultMinWatchTimeout)
    const selection: ListOptions = {
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
      ...(options.fieldSelector === undefined ? {} : { fieldSelector: options.fieldSelector })
    }

    // Runs for every event: each handler is called as the one before it ends (no Effect.forEach setup),
    // and one that answers nothing to run (most, for most events) costs no step at all.
    const notify = (call: (handler: EventHandler<A>) => Effect.Effect<void> | undefined): Effect.Effect<void> => {
      const all = handlers
      const from = (first: number): Effect.Effect<void> => {
        for (let i = first; i < all.length; i++) {
          const effect = called(() => call(all[i]!))
          if (effect === undefined) continue
          return i === all.length - 1 ? guarded(effect) : Effect.flatMap(guarded(effect), () => from(i + 1))
        }
        return Effect.void
      }
      return from(0)
    }

    const apply = (event: WatchEvent<A>): Effect.Effect<void> => {
      const obj = event.object
      const rv = obj.metadata.resourceVersion ?? ""
      if (rv !== "") resourceVersion = rv
      if (event.type === "BOOKMARK") return Effect.void
      const key = keyOf(obj)
      const old = cache.get(key)
      // A replayed event the cache already reflects (or has gone past) is not delivered twice.
      if (old !== undefined && !isNewer(rv, old.metadata.resourceVersion)) return Effect.void
      if (event.type === "DELETED") {
        if (old === undefined) return Effect.void
        cache.remove(key)
        return notify((handler) => handler.onDelete?.(obj, false))
      }
      cache.put(key, obj)
      return old === undefined
        ? notify((handler) => handler.onAdd?.(obj, false))
        : notify((handler) => handler.onUpdate?.(old, obj))
    }

    // The first list is delivered whole as initial adds; a later one only as its difference with the cache.
    const replace = (items: ReadonlyArray<A>, listResourceVersion: string): Effect.Effect<void> =>
      Effect.gen(function* () {
        const initial = !hasSynced
        const listed = new Set<string>()
        for (const obj of items) {
          const key = keyOf(obj)
          listed.add(key)
          const old = cache.put(key, obj)
          if (old === undefined) yield* notify((handler) => handler.onAdd?.(obj, initial))
          else if (old.metadata.uid !== obj.metadata.uid) {
            // Deleted and created again under the same name while the watch was down: two objects, not one.
            yield* notify((handler) => handler.onDelete?.(old, true))
            yield* notify((handler) => handler.onAdd?.(obj, false))
          } else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
            yield* notify((handler) => handler.onUpdate?.(old, obj))
        }
        for (const key of cache.keys()) {
          if (listed.has(key)) continue
          const old = cache.remove(key)!
          yield* notify((handler) => handler.onDelete?.(old, true))
        }
        resourceVersion = listResourceVersion
        if (!hasSynced) {
          hasSynced = true
          yield* Deferred.succeed(synced, undefined)
        }
      })

    const list = Effect.flatMap(client.list(rt, selection), (listed) =>
      lock.withLock(replace(listed.items, listed.metadata.resourceVersion ?? ""))
    )

    const watch: Effect.Effect<AfterWatch> = Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const timeoutSeconds = Math.floor(minWatchTimeoutSeconds * (1 + (yield* Random.next)))
      let events = 0
      const lines = client.watch(rt, { ...selection, resourceVersion, allowWatchBookmarks: true, timeoutSeconds })
      // Every event of the run passes here: a chunk costs the pull and two steps around its handlers.
      const ended = yield* PullStream.toNext(lines).pipe(
        Effect.flatMap((next) =>
          lock.loop((turn) => {
            const step = (): Effect.Effect<void, Option.Option<ApiError | Unreachable>> =>
              Effect.flatMap(next(), (chunk) => {
                if (chunk.length === 0) return step()
                events += chunk.length
                // Most chunks hold one event: Effect.forEach's setup costs more than the event.
                return turn(
                  () =>
                    chunk.length === 1
                      ? apply(Chunk.unsafeGet(chunk, 0))
                      : Effect.forEach(chunk, apply, { discard: true }),
                  step
                )
              })
            return Effect.catchAll(step(), (end) => (Option.isNone(end) ? Effect.void : Effect.fail(end.value)))
          })
        ),
        Effect.scoped,
        Effect.either
      )
      if (Either.isRight(ended)) {
        if (events > 0 || (yield* Clock.currentTimeMillis) - started >= shortWatchMillis) return "watch"
        yield* Effect.logDebug("very short watch: it ended at once without an event")
        return "backoff"
      }
      const error = ended.left
      if (error._tag === "Expired" || isTooLargeResourceVersion(error)) {
        yield* Effect.logDebug(`watch from resourceVersion ${resourceVersion} is too old or too new; re-listing`)
        return "list"
      }
      yield* Effect.logWarning(`watch failed: ${error._tag}: ${error.message}`)
      return resumable.has(error._tag) ? "backoff" : "list"
    })

    const backoff = Backoff.make(Backoff.reflector)
    const waitBackoff = Effect.flatMap(backoff.next, Effect.sleep)

    // Iterative, so an unreachable server costs a sleep per attempt and no memory.
    const reflect: Effect.Effect<never> = Effect.gen(function* () {
      let relist = true
      while (true) {
        if (relist) {
          const listed = yield* Effect.either(list)
          if (Either.isLeft(listed)) {
            yield* Effect.logWarning(`list failed: ${listed.left._tag}: ${listed.left.message}`)
            yield* waitBackoff
            continue
          }
          relist = false
        }
        const next = yield* watch
        if (next === "list") relist = true
        if (next !== "watch") yield* waitBackoff
      }
    })

    const resync = Effect.suspend(() =>
      hasSynced
        ? Effect.forEach(cache.list(), (obj) => notify((handler) => handler.onUpdate?.(obj, obj)), { discard: true })
        : Effect.void
    )

    const annotate = Effect.annotateLogs({ component: "informer", resource: rt.plural })
    yield* Effect.forkScoped(annotate(reflect))
    if (options.resyncPeriod !== undefined && Duration.toMillis(options.resyncPeriod) > 0) {
      const period = options.resyncPeriod
      yield* Effect.forkScoped(annotate(Effect.forever(Effect.zipRight(Effect.sleep(period), lock.withLock(resync)))))
    }

    return {
      resource: rt,
      get: cache.get,
      list: cache.list,
      byIndex: cache.byIndex,
      indexValues: cache.indexValues,
      addIndexer: cache.addIndexer,
      addHandler: (handler) =>
        lock
          .withLock(
            Effect.suspend(() => {
              handlers = [...handlers, handler]
              return hasSynced
                ? Effect.forEach(
                    cache.list(),
                    (obj) => {
                      const effect = called(() => handler.onAdd?.(obj, true))
                      return effect === undefined ? Effect.void : guarded(effect)
                    },
                    { discard: true }
                  )
                : Effect.void
            })
          )
          .pipe(
            Effect.zipRight(
              Effect.addFinalizer(() =>
                Effect.sync(() => {
                  handlers = handlers.filter((h) => h !== handler)
                })
              )
            )
          ),
      hasSynced: () => hasSynced,
      waitForSync: Deferred.await(synced),
      lastSyncResourceVersion: () => resourceVersion
    }
  })
