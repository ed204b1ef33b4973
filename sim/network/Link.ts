/**
 * One component's connection to the API server in the simulated network. A cut drops it: every
 * watch carried over it ends at once, idle or not (the server's `stop` ends the watch where it
 * waits, so no fiber per watch races the cut), and lines still in transit are lost.
 *
 * A lag (`delay`) makes the component a lagging reader: each watch line that reaches it while a
 * lag is in force is held that long, in order, and reading goes on meanwhile, so a line is late
 * by the lag in force when it arrived, not by the sum of the lags before it. Lines held when the
 * lag ends still come, in order; a cut drops them. With no lag and nothing held a line passes as
 * it comes, with no fiber of its own.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { WatchLine } from "../../core/apiserver/ApiRequest.js"
import * as PullStream from "../../core/apiserver/PullStream.js"

/** Ends one carried watch: at once, dropping what it has not sent, with `last` as its final line when given. */
export type Stop = (last?: WatchLine) => Effect.Effect<void>

export interface Link {
  /** Bumped by every `cut`: a call that started in an earlier generation was cut while in flight. */
  readonly generation: () => number
  /**
   * `lines` (already delayed by the network) as the component receives them: in order, held by
   * the lag in force when each arrives, until they end, or until a `cut` or `close` ends the link's
   * watches (at once when a cut came after generation `since`). Without `stop` a cut ends the watch
   * at its next line.
   */
  readonly carry: (
    lines: Stream.Stream<WatchLine>,
    stop: Stop | undefined,
    options?: CarryOptions
  ) => Stream.Stream<WatchLine>
  /** The connection drops: every carried watch ends at once, lines not yet received are lost. */
  readonly cut: Effect.Effect<void>
  /** The server ends every carried watch with `last` (an ERROR line), dropping what it had not sent. */
  readonly close: (last: WatchLine) => Effect.Effect<void>
  /**
   * Starts a lag of `by` ms on every line that arrives while it is in force (the largest lag in
   * force applies), only on watches of `kind` (lower-case singular) when given: one informer
   * lags, the others do not. Answers its end.
   */
  readonly delay: (by: number, kind?: string) => () => void
}

/** How one watch is carried. */
export interface CarryOptions {
  /** The generation the watch started in (default: the current one). */
  readonly since?: number
  /** The kind watched, lower-case singular, for lags of one kind. */
  readonly kind?: string
  /** Each chunk's way over the network, before any lag: the wait for its latency, undefined for none. */
  readonly transit?: (lines: Chunk.Chunk<WatchLine>) => Effect.Effect<void> | undefined
  /** Sees each chunk as the component receives it. */
  readonly received?: (lines: Chunk.Chunk<WatchLine>) => void
}

/** A link with nothing carried yet. */
export const make = (): Link => {
  let generation = 0
  // Insertion order: watches end in the order they opened, the same on every run.
  const open = new Set<Stop>()
  const lags: Array<{ readonly by: number; readonly kind: string | undefined }> = []
  const lagOf = (kind: string | undefined) => () =>
    lags.reduce((largest, l) => (l.kind === undefined || l.kind === kind ? Math.max(largest, l.by) : largest), 0)

  const carry = (lines: Stream.Stream<WatchLine>, stop: Stop | undefined, options: CarryOptions = {}) =>
    PullStream.fromNext(
      Effect.suspend(() => {
        const since = options.since ?? generation
        if (since !== generation) return Effect.succeed(() => endOfLines)
        const end: Stop = stop ?? (() => Effect.void)
        open.add(end)
        const live = () => generation === since
        return lagging(lines, lagOf(options.kind), live, options, () => open.delete(end))
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
    close: endAll,
    delay: (by, kind) => {
      const entry = { by, kind }
      lags.push(entry)
      return () => {
        const at = lags.indexOf(entry)
        if (at >= 0) lags.splice(at, 1)
      }
    }
  }
}

interface Held {
  /** Virtual epoch ms at which the component receives it. */
  readonly due: number
  readonly lines: Chunk.Chunk<WatchLine>
}

type Pull = PullStream.Pull<WatchLine>

const endOfLines: Pull = Effect.fail(Option.none())

/**
 * `lines` after their transit, held by `lag()` (read as each chunk arrives), in order, while
 * `live()` (a line that was on its way when the link was cut never arrives); `left` runs when the
 * watch ends. While lines are held, one read runs ahead in a fiber of the stream's scope, so later
 * lines keep arriving. One pull wrapped around the server's for all of it: every watch line of the
 * run passes here.
 */
const lagging = (
  lines: Stream.Stream<WatchLine>,
  lag: () => number,
  live: () => boolean,
  options: CarryOptions,
  left: () => void
): PullStream.OpenNext<WatchLine> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    yield* Effect.addFinalizer(() => Effect.sync(left))
    const read = yield* PullStream.toNext(lines)
    const transit = options.transit
    // The held path's read (a few more operations; only lagging watches take it).
    const pull: Pull = Effect.suspend(() =>
      transit === undefined
        ? read()
        : Effect.flatMap(read(), (chunk) => {
            const wait = transit(chunk)
            return wait === undefined ? Effect.succeed(chunk) : Effect.as(wait, chunk)
          })
    )
    const held: Array<Held> = []
    let reading: Fiber.RuntimeFiber<Chunk.Chunk<WatchLine>, Option.Option<never>> | undefined
    let ended = false
    const received = options.received

    const hold = (chunk: Chunk.Chunk<WatchLine>, by: number) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (Chunk.isNonEmpty(chunk)) held.push({ due: now + by, lines: chunk })
      })

    // What the component receives: nothing once the link was cut.
    const deliver = (chunk: Chunk.Chunk<WatchLine>): Pull => {
      if (!live()) return endOfLines
      received?.(chunk)
      return Effect.succeed(chunk)
    }

    // Lines are held: hand the first on when due, taking in what the read ahead brings meanwhile.
    const heldLoop: Pull = Effect.gen(function* () {
      while (true) {
        if (!live() || (ended && held.length === 0)) return yield* Effect.fail(Option.none())
        if (held.length === 0) {
          // The read ahead, when one is under way, brings the next chunk.
          const chunk = yield* Effect.ensuring(
            reading === undefined ? pull : Fiber.join(reading),
            Effect.sync(() => (reading = undefined))
          )
          const by = lag()
          if (by <= 0 || Chunk.isEmpty(chunk)) return chunk
          yield* hold(chunk, by)
          continue
        }
        const first = held[0]!
        const wait = Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sleep(Math.max(0, first.due - now)))
        if (reading === undefined && !ended) reading = yield* Effect.forkIn(pull, scope)
        const running = reading
        if (running === undefined) yield* wait
        else if (yield* Effect.raceFirst(Effect.as(Fiber.await(running), true), Effect.as(wait, false))) {
          reading = undefined
          const exit = yield* Fiber.await(running)
          if (Exit.isSuccess(exit)) yield* hold(exit.value, lag())
          else if (Option.isSome(Cause.failureOption(exit.cause))) ended = true
          else return yield* Effect.failCause(exit.cause)
          continue
        }
        if (!live()) continue
        held.shift()
        return first.lines
      }
    }).pipe(Effect.flatMap(deliver))

    // Nothing held and no read ahead: a plain pull, held only when a lag is in force as it arrives.
    const arrived = (chunk: Chunk.Chunk<WatchLine>): Pull => {
      const by = lag()
      return by <= 0 || Chunk.isEmpty(chunk) ? deliver(chunk) : Effect.zipRight(hold(chunk, by), heldLoop)
    }
    // The transit and the arrival in one step: every chunk of the run takes this path.
    const direct = (): Pull =>
      transit === undefined
        ? Effect.flatMap(read(), arrived)
        : Effect.flatMap(read(), (chunk) => {
            const wait = transit(chunk)
            return wait === undefined ? arrived(chunk) : Effect.flatMap(wait, () => arrived(chunk))
          })
    return (): Pull => (held.length > 0 || reading !== undefined || ended ? heldLoop : direct())
  })
