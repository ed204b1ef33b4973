/**
 * One component's connection to the API server in the simulated network. A cut drops it: every
 * watch carried over it ends at once, idle or not (the server's `stop` ends the watch where it
 * waits, so no fiber per watch races the cut), and lines still in transit are lost.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { WatchLine } from "../../core/apiserver/ApiRequest.js"

/** Ends one carried watch: at once, dropping what it has not sent, with `last` as its final line when given. */
export type Stop = (last?: WatchLine) => Effect.Effect<void>

export interface Link {
  /** Bumped by every `cut`: a call that started in an earlier generation was cut while in flight. */
  readonly generation: () => number
  /**
   * `lines` (already delayed by the network) as the component receives them: in order, until they
   * end, or until a `cut` or `close` ends the link's watches (at once when a cut came after
   * generation `since`). Without `stop` a cut ends the watch at its next line.
   */
  readonly carry: (lines: Stream.Stream<WatchLine>, stop: Stop | undefined, since?: number) => Stream.Stream<WatchLine>
  /** The connection drops: every carried watch ends at once, lines not yet received are lost. */
  readonly cut: Effect.Effect<void>
  /** The server ends every carried watch with `last` (an ERROR line), dropping what it had not sent. */
  readonly close: (last: WatchLine) => Effect.Effect<void>
}

/** A link with nothing carried yet. */
export const make = (): Link => {
  let generation = 0
  // Insertion order: watches end in the order they opened, the same on every run.
  const open = new Set<Stop>()

  const carry = (lines: Stream.Stream<WatchLine>, stop: Stop | undefined, since = generation) =>
    Stream.suspend(() => {
      if (since !== generation) return Stream.empty
      const end: Stop = stop ?? (() => Effect.void)
      open.add(end)
      // A line that was on its way when the link was cut never arrives.
      return lines.pipe(
        Stream.takeWhile(() => generation === since),
        Stream.ensuring(Effect.sync(() => open.delete(end)))
      )
    })

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
