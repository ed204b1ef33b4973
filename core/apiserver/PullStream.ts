/**
 * A Stream that keeps its pull at hand. Every watch line of a run crosses the API server's watch,
 * the (simulated) network and the Client: as one stream stage per layer that costs tens of Effect
 * operations per chunk per watcher, so each layer that knows a `PullStream` wraps the pull of the
 * one before in its own, and the reader (the informer) pulls the last one directly. Any other
 * reader (the HTTP server, tests, a transformed stream) reads it as the plain Stream it also is.
 * A layer whose pull is a function (`Next`) is called, not suspended: an operation less per chunk
 * per layer, as each layer calls the next one's from its own continuation.
 */
import type * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** The next chunk; fails with None at the end (as `Stream.toPull`'s pull). */
export type Pull<A, E = never> = Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>

/** Opens the stream in a scope (closing it releases what the stream holds) and answers its pull. */
export type Open<A, E = never> = Effect.Effect<Pull<A, E>, never, Scope.Scope>

/** The pull as a function, called where its effect runs at once (in a continuation): no suspend of its own. */
export type Next<A, E = never> = () => Pull<A, E>

/** Opens the stream in a scope and answers its `Next`. */
export type OpenNext<A, E = never> = Effect.Effect<Next<A, E>, never, Scope.Scope>

// Weak: a stream that is dropped takes its entry with it.
const opens = new WeakMap<
  object,
  { readonly pull: Open<unknown, unknown>; readonly next?: OpenNext<unknown, unknown> | undefined }
>()

const keep = <A, E>(pull: Open<A, E>, next?: OpenNext<A, E>): Stream.Stream<A, E> => {
  const stream = Stream.fromPull(pull)
  opens.set(stream, { pull: pull as Open<unknown, unknown>, next: next as OpenNext<unknown, unknown> | undefined })
  return stream
}

/** The stream whose pull `open` answers (`Stream.fromPull`), its pull kept for `toPull`. */
export const fromPull = <A, E = never>(open: Open<A, E>): Stream.Stream<A, E> => keep(open)

/** The stream whose `Next` `open` answers, kept for `toNext` (and `toPull`). */
export const fromNext = <A, E = never>(open: OpenNext<A, E>): Stream.Stream<A, E> =>
  keep(
    Effect.map(open, (next) => Effect.suspend(next)),
    open
  )

/** Opens `stream`'s pull: directly for a `PullStream`, through `Stream.toPull` for any other. */
export const toPull = <A, E>(stream: Stream.Stream<A, E>): Open<A, E> =>
  (opens.get(stream)?.pull as Open<A, E> | undefined) ?? Stream.toPull(stream)

/** Opens `stream`'s `Next`: its own for a stream made by `fromNext`, its pull's for any other. */
export const toNext = <A, E>(stream: Stream.Stream<A, E>): OpenNext<A, E> =>
  (opens.get(stream)?.next as OpenNext<A, E> | undefined) ??
  Effect.map(
    toPull(stream),
    (pull): Next<A, E> =>
      () =>
        pull
  )

/** Runs `f` on each non-empty chunk of `stream` until it ends (fails with its error). */
export const runForEachChunk = <A, E>(
  stream: Stream.Stream<A, E>,
  f: (chunk: Chunk.Chunk<A>) => Effect.Effect<void>
): Effect.Effect<void, E> =>
  Effect.scoped(
    Effect.flatMap(toNext(stream), (next) => {
      const step = (): Effect.Effect<void, Option.Option<E>> =>
        Effect.flatMap(next(), (chunk) => (chunk.length === 0 ? step() : Effect.flatMap(f(chunk), step)))
      return Effect.catchAll(step(), (end) => (Option.isNone(end) ? Effect.void : Effect.fail(end.value)))
    })
  )
