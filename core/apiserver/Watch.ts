/**
 * watch (`?watch=1`, or the legacy `/watch/` prefix): a stream of `{type, object}` lines. Without a
 * resourceVersion (or with "0") it starts with ADDED for every selected object, then follows
 * changes after that list's revision; with N it follows changes after N, and a compacted N gives
 * one ERROR line with a 410 Expired Status. Objects entering or leaving the selection arrive as
 * ADDED and DELETED; bookmarks come every `bookmarkInterval` of Clock time when asked for, and 2 s
 * before `timeoutSeconds` ends the stream. A store failure ends it after an ERROR line.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { type ApiError, BadRequest, InternalError, toStatus } from "../api/errors.js"
import * as PullStream from "./PullStream.js"
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
  // Stamped only once selected: most watchers skip most events. No closures: this runs per watcher per event.
  switch (event.type) {
    case "ADDED":
    case "DELETED":
      return SelectionPredicate.matches(rt, predicate, event.entry.value as unknown as KubeObject)
        ? { type: event.type, object: ResourceVersion.stamp(event.entry, event.revision) }
        : undefined
    case "MODIFIED": {
      const was =
        event.previous !== undefined &&
        SelectionPredicate.matches(rt, predicate, event.previous.value as unknown as KubeObject)
      const is = SelectionPredicate.matches(rt, predicate, event.entry.value as unknown as KubeObject)
      if (was && is) return { type: "MODIFIED", object: ResourceVersion.stamp(event.entry, event.revision) }
      if (is) return { type: "ADDED", object: ResourceVersion.stamp(event.entry, event.revision) }
      // The object left the selection: the client gets its last selected state, at this revision.
      if (was) return { type: "DELETED", object: ResourceVersion.stamp(event.previous!, event.revision) }
      return undefined
    }
  }
}

/** How long before a watch's timeout its last bookmark comes, ms (Kubernetes' cacher: 2 s). */
const beforeTimeout = 2000

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

/** Most lines handed on in one chunk. */
const maxChunk = 4096

const endOfLines: PullStream.Pull<never> = Effect.fail(Option.none())

/** A watch's lines and the way to end them early (`ApiResponse`'s `stop`). */
interface Delivery {
  readonly lines: Stream.Stream<Line>
  readonly stop: (last?: WatchLine) => Effect.Effect<void>
}

/**
 * The initial lines, then the changes after `from` through the selection, with a BOOKMARK every
 * `bookmarks` and an end after `timeoutSeconds`. The Cacher hands the changes over synchronously
 * into the watch's own buffer, so only a line this watcher selects wakes its reader, and a reader
 * takes every line waiting at once; plain fibers tick and time out (a stream merge would fork and
 * race fibers for every line). `stop` may come before the stream is read.
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
  const start: PullStream.OpenNext<Line> = Effect.gen(function* () {
    if (stopped !== undefined) {
      const last = stopped.last
      let given = last === undefined
      return (): PullStream.Pull<Line> => {
        if (given) return endOfLines
        given = true
        return Effect.succeed(Chunk.of(last as Line))
      }
    }
    // The lines not read yet, and the reader waiting for one (a Queue costs tens of operations per take).
    let pending: Array<Line> = [...initial]
    let waiting: (() => void) | undefined
    const wake = () => {
      const resume = waiting
      waiting = undefined
      resume?.()
    }
    // Bookmarks carry the revision of the last event read, so none is ever skipped by a client resuming there.
    let revision = from
    let open = true
    // How the lines end: after the pending ones (the store watch ended), at once with a last line (halted), or at once (timed out).
    let ending = false
    let halted: { readonly last: Line | undefined } | undefined
    let timedOut = false
    const finish = (line: Line | undefined) => {
      if (!open) return
      open = false
      if (line !== undefined) pending.push(line)
      ending = true
      wake()
    }
    halt = (last) => {
      if (!open) return
      open = false
      halted = { last: last as Line | undefined }
      wake()
    }
    const sink: Cacher.Sink = {
      events: (events) => {
        if (!open) return
        const before = pending.length
        for (const event of events) {
          revision = event.revision
          const line = lineOf(rt, predicate, event)
          if (line !== undefined) pending.push(line)
        }
        // A reader that does not keep up is dropped, as the store drops a watcher that falls behind.
        if (pending.length > watchBacklog)
          finish(errorLine(tooOld(new TooOld({ requested: from, compacted: revision }))))
        else if (pending.length > before) wake()
      },
      end: (cause) => {
        if (cause === undefined) return finish(undefined)
        const failure = Cause.failureOption(cause)
        if (Option.isSome(failure))
          return finish(errorLine(failure.value._tag === "TooOld" ? tooOld(failure.value) : unavailable(failure.value)))
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
    // A pinned watcher is not handed the events it does not select: the watch cache's latest is its revision too.
    const tick = () => {
      if (!open) return
      revision = Math.max(revision, watching.latest() ?? revision)
      pending.push(bookmark(rt, revision))
      wake()
    }
    // A timed-out watch drops what it had not sent yet, as an interrupted response does.
    const timeOut = () => {
      timedOut = true
      wake()
    }
    // One fiber for both bookmarks and the timeout (a fiber costs kilobytes, and every informer watch has both);
    // a plain loop, as Effect.forever would also yield to the scheduler at every turn. As Kubernetes'
    // cacher does, the last bookmark comes 2 s before the timeout, so the client resumes from a
    // recent revision however long the interval; a tick due later comes after the timeout.
    const every = bookmarks === undefined ? undefined : Duration.toMillis(bookmarks)
    const timer = (untilTimeout: number | undefined): Effect.Effect<void> => {
      if (untilTimeout !== undefined && (every === undefined || untilTimeout <= every)) {
        const end = (after: number) => Effect.zipRight(Effect.sleep(after), Effect.sync(timeOut))
        if (every === undefined || untilTimeout <= beforeTimeout) return end(untilTimeout)
        return Effect.zipRight(
          Effect.sleep(untilTimeout - beforeTimeout),
          Effect.suspend(() => (tick(), end(beforeTimeout)))
        )
      }
      if (every === undefined) return Effect.void
      return Effect.flatMap(Effect.sleep(every), () => {
        tick()
        return timer(untilTimeout === undefined ? undefined : untilTimeout - every)
      })
    }
    if (every !== undefined || timeoutSeconds > 0)
      yield* Effect.forkScoped(timer(timeoutSeconds > 0 ? timeoutSeconds * 1000 : undefined))
    let done = false
    // Resumed on the reader's own turn, so it takes every line handed over until then in one chunk.
    const next = (): PullStream.Pull<Line> => {
      if (done || timedOut) return endOfLines
      if (halted !== undefined) {
        done = true
        pending = []
        return halted.last === undefined ? endOfLines : Effect.succeed(Chunk.of(halted.last))
      }
      if (pending.length > 0) {
        const lines = pending.length <= maxChunk ? pending : pending.splice(0, maxChunk)
        if (lines === pending) pending = []
        return Effect.succeed(Chunk.unsafeFromArray(lines))
      }
      if (ending) {
        done = true
        return endOfLines
      }
      // No canceler (it would cost a finalizer per wait): the runtime ignores a resume after an interruption.
      return Effect.async<Chunk.Chunk<Line>, Option.Option<never>>((resume) => {
        waiting = () => resume(Effect.suspend(next))
      })
    }
    return next
  })
  return { lines: PullStream.fromNext(start), stop }
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
