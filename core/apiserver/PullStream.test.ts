import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as PullStream from "./PullStream.js"

/** A pull over `chunks`, then `end` (None: the end; Some: that error); `opened` counts the opens, `closed` the scope closes. */
const counted = <E>(chunks: ReadonlyArray<ReadonlyArray<number>>, end: Option.Option<E>) => {
  const counts = { opened: 0, closed: 0 }
  const open: PullStream.Open<number, E> = Effect.gen(function* () {
    counts.opened++
    yield* Effect.addFinalizer(() => Effect.sync(() => counts.closed++))
    let at = 0
    return Effect.suspend(() =>
      at < chunks.length ? Effect.succeed(Chunk.fromIterable(chunks[at++]!)) : Effect.fail(end)
    )
  })
  return { open, counts }
}

describe("PullStream", () => {
  it.effect("is the plain Stream of its pull for any reader", () =>
    Effect.gen(function* () {
      const { open, counts } = counted([[1, 2], [], [3]], Option.none())
      const stream = PullStream.fromPull(open)
      expect(Chunk.toReadonlyArray(yield* Stream.runCollect(stream))).toEqual([1, 2, 3])
      expect(Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.map(stream, (n) => n * 10)))).toEqual([10, 20, 30])
      expect(counts).toEqual({ opened: 2, closed: 2 })
    })
  )

  it.effect("hands its own pull to toPull; any other stream is pulled through Stream.toPull", () =>
    Effect.gen(function* () {
      const { open } = counted([[1]], Option.none())
      expect(PullStream.toPull(PullStream.fromPull(open))).toBe(open)
      const pull = yield* Effect.scoped(
        Effect.flatMap(PullStream.toPull(Stream.make(4, 5)), (pull) => Effect.map(pull, Chunk.toReadonlyArray))
      )
      expect(pull).toEqual([4, 5])
    })
  )

  it.effect("hands its own Next to toNext; a pull (or any other stream) is called through its pull", () =>
    Effect.gen(function* () {
      const { open, counts } = counted([[1], [2]], Option.none())
      const nexts: PullStream.OpenNext<number> = Effect.map(open, (pull) => () => pull)
      const stream = PullStream.fromNext(nexts)
      expect(PullStream.toNext(stream)).toBe(nexts)
      expect(Chunk.toReadonlyArray(yield* Stream.runCollect(stream))).toEqual([1, 2])
      const read = yield* Effect.scoped(
        Effect.flatMap(PullStream.toNext(PullStream.fromPull(counted([[3]], Option.none()).open)), (next) =>
          Effect.map(next(), Chunk.toReadonlyArray)
        )
      )
      expect(read).toEqual([3])
      expect(counts).toEqual({ opened: 1, closed: 1 })
    })
  )

  it.effect("runForEachChunk sees every non-empty chunk, then ends with the stream or fails with its error", () =>
    Effect.gen(function* () {
      const seen: Array<ReadonlyArray<number>> = []
      const see = (chunk: Chunk.Chunk<number>) => Effect.sync(() => void seen.push(Chunk.toReadonlyArray(chunk)))
      const ended = counted([[1, 2], [], [3]], Option.none())
      yield* PullStream.runForEachChunk(PullStream.fromPull(ended.open), see)
      expect(seen).toEqual([[1, 2], [3]])
      expect(ended.counts).toEqual({ opened: 1, closed: 1 })
      const failed = counted([[4]], Option.some("boom"))
      expect(yield* Effect.flip(PullStream.runForEachChunk(PullStream.fromPull(failed.open), see))).toBe("boom")
      expect(seen).toEqual([[1, 2], [3], [4]])
      expect(failed.counts.closed).toBe(1)
      yield* PullStream.runForEachChunk(Stream.make(6, 7), see)
      expect(seen.at(-1)).toEqual([6, 7])
    })
  )
})
