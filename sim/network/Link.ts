/**
 * One component's connection to the API server in the simulated network. Watch streams carried
 * over it can be ended at any moment, idle or not: each is pumped by its own fiber into a one-slot
 * queue, so ending it only has to shut the queue (no racing fiber per chunk, no timer per line).
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type * as Take from "effect/Take"
import type { WatchLine } from "../../core/apiserver/ApiRequest.js"

export interface Link {
  /** Bumped by every `cut`: a call that started in an earlier generation was cut while in flight. */
  readonly generation: () => number
  /**
   * `upstream` as the component receives it: in order, until it ends, or until a `cut` or `close`
   * ends the link's streams (at once when a cut came after generation `since`).
   */
  readonly carry: (upstream: Stream.Stream<WatchLine>, since?: number) => Stream.Stream<WatchLine>
  /** The connection drops: every carried stream ends at once, lines not yet received are lost. */
  readonly cut: Effect.Effect<void>
  /** The server ends every carried stream with `last` (an ERROR line), dropping what it had not sent. */
  readonly close: (last: WatchLine) => Effect.Effect<void>
}

/** A link with nothing carried yet. */
export const make = (): Link => {
  let generation = 0
  // Insertion order: streams end in the order they opened, the same on every run.
  const open = new Set<(last: WatchLine | undefined) => Effect.Effect<void>>()

  const carry = (upstream: Stream.Stream<WatchLine>, since = generation): Stream.Stream<WatchLine> =>
    Stream.unwrapScoped(
      Effect.gen(function* () {
        if (since !== generation) return Stream.empty
        // One slot: the pump waits for the reader, so a slow reader still backs up into the server's own bound.
        const queue = yield* Queue.bounded<Take.Take<WatchLine>>(1)
        let final: WatchLine | undefined
        const end = (last: WatchLine | undefined) =>
          Effect.suspend(() => {
            final = last
            return Queue.shutdown(queue)
          })
        open.add(end)
        yield* Effect.addFinalizer(() => Effect.sync(() => open.delete(end)))
        yield* Effect.forkScoped(Stream.runIntoQueue(upstream, queue))
        // A stream that ended by itself ends with a Take.end; only `end` shuts the queue.
        const after = Stream.suspend(() => (final === undefined ? Stream.empty : Stream.make(final)))
        return Stream.concat(Stream.flattenTake(Stream.fromQueue(queue)), after)
      })
    )

  const endAll = (last: WatchLine | undefined) =>
    Effect.suspend(() => {
      const ends = [...open]
      open.clear()
      return Effect.forEach(ends, (end) => end(last), { discard: true })
    })

  return {
    generation: () => generation,
    carry,
    cut: Effect.suspend(() => {
      generation++
      return endAll(undefined)
    }),
    close: endAll
  }
}
