/**
 * watch (`?watch=1`, or the legacy `/watch/` prefix): a stream of `{type, object}` lines. Without a
 * resourceVersion (or with "0") it starts with ADDED for every selected object, then follows
 * changes after that list's revision; with N it follows changes after N, and a compacted N gives
 * one ERROR line with a 410 Expired Status. Objects entering or leaving the selection arrive as
 * ADDED and DELETED; bookmarks come every `bookmarkInterval` of Clock time when asked for, and
 * `timeoutSeconds` ends the stream. A store failure ends it after an ERROR line.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { type ApiError, BadRequest, InternalError, toStatus } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import { apiVersionOf } from "../api/resource.js"
import { defaultWatchBacklog as watchBacklog } from "../store/MemoryStore.js"
import { type Revision, TooOld, type WatchEvent } from "../store/Store.js"
import type * as Cacher from "./Cacher.js"
import type { ApiResponse, WatchLine } from "./ApiRequest.js"
import { contentTypeOf, type Output } from "./Negotiation.js"
import { type RequestScope } from "./RequestScope.js"
import * as ResourceVersion from "./ResourceVersion.js"
import type { Resource } from "./Route.js"
import * as SelectionPredicate from "./SelectionPredicate.js"
import { collectionPrefix } from "./StorageKey.js"
import { tooLarge, tooOld, unavailable } from "./StoreErrors.js"
import { type IncludeObject, partialObjectMetadata, table } from "./Table.js"
import { rfc3339 } from "../api/time.js"

/** A watch line before it is put in the negotiated format. */
type Line =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: KubeObject }
  | { readonly type: "BOOKMARK"; readonly object: KubeObject }
  | { readonly type: "ERROR"; readonly object: unknown }

/** Queued after the last line: the store watch ended. */
const ended: unique symbol = Symbol("ended")

const errorLine = (error: ApiError): Line => ({ type: "ERROR", object: toStatus(error) })

const flag = (value: string | null) => value === "1" || value === "true"

/** `timeoutSeconds`: a non-negative integer; 0 or absent means no timeout. */
const timeoutOf = (query: URLSearchParams): Either.Either<number, BadRequest> => {
  const value = query.get("timeoutSeconds")
  if (value === null || value === "") return Either.right(0)
  return /^[0-9]{1,9}$/.test(value)
    ? Either.right(Number(value))
    : Either.left(new BadRequest({ message: `invalid timeoutSeconds: ${JSON.stringify(value)}` }))
}

/** The watch line for one store event, seen through the selection (Kubernetes' cacher rules). */
const lineOf = (
  rt: Resource,
  predicate: SelectionPredicate.SelectionPredicate,
  event: WatchEvent
): Line | undefined => {
  const selects = (value: unknown) => SelectionPredicate.matches(rt, predicate, value as KubeObject)
  // Stamped only once selected: most watchers skip most events.
  const object = () => ResourceVersion.stamp(event.entry, event.revision)
  switch (event.type) {
    case "ADDED":
      return selects(event.entry.value) ? { type: "ADDED", object: object() } : undefined
    case "DELETED":
      return selects(event.entry.value) ? { type: "DELETED", object: object() } : undefined
    case "MODIFIED": {
      const was = event.previous !== undefined && selects(event.previous.value)
      const is = selects(event.entry.value)
      if (was && is) return { type: "MODIFIED", object: object() }
      if (is) return { type: "ADDED", object: object() }
      // The object left the selection: the client gets its last selected state, at this revision.
      if (was) return { type: "DELETED", object: ResourceVersion.stamp(event.previous!, event.revision) }
      return undefined
    }
  }
}

const bookmark = (rt: Resource, revision: Revision): Line => ({
  type: "BOOKMARK",
  object: { apiVersion: apiVersionOf(rt), kind: rt.kind, metadata: { resourceVersion: String(revision) } }
})

/** Puts each line's object in the negotiated format; a Table watch sends column definitions once. */
const formatted = (
  rt: Resource,
  output: Output,
  includeObject: IncludeObject,
  lines: Stream.Stream<Line>
): Stream.Stream<WatchLine> => {
  if (output._tag === "Object") return lines
  return lines.pipe(
    Stream.mapAccumEffect(false, (headersSent, line): Effect.Effect<readonly [boolean, WatchLine]> => {
      if (line.type === "ERROR" || line.type === "BOOKMARK") return Effect.succeed([headersSent, line] as const)
      const obj = line.object
      if (output._tag === "PartialObjectMetadata") {
        return Effect.succeed([
          headersSent,
          { type: line.type, object: partialObjectMetadata(obj, output.version) }
        ] as const)
      }
      return Effect.map(Clock.currentTimeMillis, (millis) => {
        const metadata = { resourceVersion: obj.metadata.resourceVersion ?? "" }
        const options = { version: output.version, includeObject, now: rfc3339(millis), headers: !headersSent }
        return [true, { type: line.type, object: table(rt, [obj], metadata, options) }] as const
      })
    })
  )
}

/** Most lines read from a watch's queue at once (Stream.fromQueue's chunk size). */
const maxChunk = 4096

/** The queue was shut down (the watch timed out): the lines end; any other failure goes on. */
const shutDown = <A>(queue: Queue.Queue<A>, cause: Cause.Cause<never>): Effect.Effect<never, Option.Option<never>> =>
  Effect.flatMap(Queue.isShutdown(queue), (down) =>
    down && Cause.isInterrupted(cause) ? Effect.fail(Option.none()) : Effect.failCause(cause)
  )

/** A watch's lines and the way to end them early (`ApiResponse`'s `stop`). */
interface Delivery {
  readonly lines: Stream.Stream<Line>
  readonly stop: (last?: WatchLine) => Effect.Effect<void>
}

/**
 * The initial lines, then the changes after `from` through the selection, with a BOOKMARK every
 * `bookmarks` and an end after `timeoutSeconds`. The Cacher hands the changes over synchronously,
 * so only a line this watcher selects wakes its reader; plain fibers tick and time out (a stream
 * merge would fork and race fibers for every line). `stop` may come before the stream is read.
 */
const delivered = (
  cacher: Cacher.Cacher,
  rt: Resource,
  predicate: SelectionPredicate.SelectionPredicate,
  prefix: string,
  initial: ReadonlyArray<Line>,
  from: Revision,
  bookmarks: Duration.Duration | undefined,
  timeoutSeconds: number
): Delivery => {
  // Set by an early `stop`: the stream, once read, gives only this (or nothing).
  let stopped: { readonly last: WatchLine | undefined } | undefined
  let halt: ((last: WatchLine | undefined) => void) | undefined
  const stop = (last?: WatchLine) =>
    Effect.sync(() => {
      if (halt !== undefined) return halt(last)
      if (stopped === undefined) stopped = { last }
    })
  const lines = Stream.unwrapScoped(
    Effect.gen(function* () {
      if (stopped !== undefined) return stopped.last === undefined ? Stream.empty : Stream.make(stopped.last as Line)
      const queue = yield* Queue.unbounded<Line | typeof ended>()
      for (const line of initial) queue.unsafeOffer(line)
      // Bookmarks carry the revision of the last event read, so none is ever skipped by a client resuming there.
      let revision = from
      let open = true
      const finish = (line: Line | undefined) => {
        if (!open) return
        open = false
        if (line !== undefined) queue.unsafeOffer(line)
        queue.unsafeOffer(ended)
      }
      // Lines still queued when the watch is halted are dropped as they are read.
      let halted: { readonly last: Line | undefined } | undefined
      halt = (last) => {
        if (!open) return
        open = false
        halted = { last: last as Line | undefined }
        queue.unsafeOffer(ended)
      }
      const sink: Cacher.Sink = {
        events: (events) => {
          if (!open) return
          for (const event of events) {
            revision = event.revision
            const line = lineOf(rt, predicate, event)
            if (line !== undefined) queue.unsafeOffer(line)
          }
          // A reader that does not keep up is dropped, as the store drops a watcher that falls behind.
          if (Option.getOrElse(queue.unsafeSize(), () => 0) > watchBacklog)
            finish(errorLine(tooOld(new TooOld({ requested: from, compacted: revision }))))
        },
        end: (cause) => {
          if (cause === undefined) return finish(undefined)
          const failure = Cause.failureOption(cause)
          if (Option.isSome(failure))
            return finish(
              errorLine(failure.value._tag === "TooOld" ? tooOld(failure.value) : unavailable(failure.value))
            )
          finish(errorLine(new InternalError({ message: `watch failed: ${Cause.pretty(cause).split("\n")[0]}` })))
        }
      }
      const trigger = SelectionPredicate.triggerOf(rt, predicate)
      const watching = yield* Effect.acquireRelease(
        Effect.catchAll(cacher.watch(prefix, from, sink, trigger), (error) =>
          Effect.sync((): Cacher.Watching => {
            const apiError =
              error._tag === "TooOld"
                ? tooOld(error)
                : error._tag === "FutureRevision"
                  ? tooLarge(error.requested, error.current)
                  : unavailable(error)
            finish(errorLine(apiError))
            return { leave: Effect.void, latest: () => undefined }
          })
        ),
        (watching) => watching.leave
      )
      if (bookmarks !== undefined) {
        // A pinned watcher is not handed the events it does not select: the watch cache's latest is its revision too.
        const tick = Effect.sync(() => {
          if (!open) return
          revision = Math.max(revision, watching.latest() ?? revision)
          queue.unsafeOffer(bookmark(rt, revision))
        })
        yield* Effect.forkScoped(
          Effect.gen(function* () {
            while (true) {
              yield* Effect.sleep(bookmarks)
              yield* tick
            }
          })
        )
      }
      // A timed-out watch drops what it had not sent yet, as an interrupted response does.
      if (timeoutSeconds > 0)
        yield* Effect.forkScoped(Effect.zipRight(Effect.sleep(Duration.seconds(timeoutSeconds)), Queue.shutdown(queue)))
      // One stage reads the queue up to the end (or the halt and its last line): every line of a watch passes here.
      let done = false
      const pull: Effect.Effect<Chunk.Chunk<Line>, Option.Option<never>> = Effect.suspend(() => {
        if (done) return Effect.fail(Option.none())
        return Effect.flatMap(
          Effect.catchAllCause(Queue.takeBetween(queue, 1, maxChunk), (cause) => shutDown(queue, cause)),
          (items) => {
            const lines: Array<Line> = []
            for (const item of items) {
              if (item === ended || halted !== undefined) {
                done = true
                break
              }
              lines.push(item)
            }
            if (done && halted?.last !== undefined) lines.push(halted.last)
            return lines.length === 0 && done
              ? Effect.fail(Option.none())
              : Effect.succeed(Chunk.unsafeFromArray(lines))
          }
        )
      })
      return Stream.repeatEffectChunkOption(pull)
    })
  )
  return { lines, stop }
}

/** Handles a watch of the scope's collection (narrowed to one object by `name` on the legacy path). */
export const watch = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.gen(function* () {
    const rt = scope.resource
    const query = scope.request.query
    const selection = yield* SelectionPredicate.fromQuery(rt, query)
    const predicate = scope.name === undefined ? selection : SelectionPredicate.withName(selection, scope.name)
    const timeout = yield* timeoutOf(query)
    const prefix = collectionPrefix(rt, scope.namespace)
    const rv = query.get("resourceVersion") ?? ""

    // Unset or "0": the current state as ADDED lines first, then the changes after it.
    let initial: ReadonlyArray<Line> = []
    let from: Revision
    if (rv === "" || rv === "0") {
      const listed = yield* scope.store.list(prefix).pipe(
        Effect.catchTags({
          TooOld: (e) => Effect.fail(tooOld(e)),
          FutureRevision: (e) => Effect.fail(tooLarge(e.requested, e.current)),
          StoreUnavailable: (e) => Effect.fail(unavailable(e))
        })
      )
      from = listed.revision
      initial = listed.entries
        .filter((entry) => SelectionPredicate.matches(rt, predicate, entry.value as unknown as KubeObject))
        .map((entry) => ({ type: "ADDED", object: ResourceVersion.stamp(entry) }))
    } else {
      from = yield* ResourceVersion.parse(rv)
      // The store replays only what is after `from`, so a watch from the future would miss events: refuse it as List does.
      const current = yield* Effect.mapError(scope.store.revision, unavailable)
      if (from > current) return yield* Effect.fail(tooLarge(from, current))
    }

    const bookmarks = flag(query.get("allowWatchBookmarks")) ? scope.config.bookmarkInterval : undefined
    const delivery = delivered(scope.config.cacher, rt, predicate, prefix, initial, from, bookmarks, timeout)
    return {
      _tag: "Watch",
      status: 200,
      headers: { "content-type": contentTypeOf(scope.output, false) },
      events: formatted(rt, scope.output, scope.includeObject, delivery.lines),
      stop: delivery.stop
    }
  })
