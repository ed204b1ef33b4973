import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Lock from "./Lock.js"

describe("Lock", () => {
  it.effect("runs one holder at a time, waiters in arrival order", () =>
    Effect.gen(function* () {
      const lock = Lock.make()
      const log: Array<string> = []
      const gate = yield* Deferred.make<void>()
      const first = yield* Effect.fork(
        lock.withLock(
          Effect.zipRight(
            Deferred.await(gate),
            Effect.sync(() => log.push("first"))
          )
        )
      )
      yield* Effect.yieldNow()
      const second = yield* Effect.fork(lock.withLock(Effect.sync(() => log.push("second"))))
      const third = yield* Effect.fork(lock.withLock(Effect.sync(() => log.push("third"))))
      yield* Effect.yieldNow()
      expect(log).toEqual([])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      yield* Fiber.join(third)
      expect(log).toEqual(["first", "second", "third"])
    })
  )

  it.effect("is released when the holder fails or is interrupted, and by a waiter that gives up", () =>
    Effect.gen(function* () {
      const lock = Lock.make()
      expect(yield* Effect.either(lock.withLock(Effect.fail("boom")))).toMatchObject({ left: "boom" })
      const holder = yield* Effect.fork(lock.withLock(Effect.never))
      yield* Effect.yieldNow()
      const waiter = yield* Effect.fork(lock.withLock(Effect.void))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiter)
      yield* Fiber.interrupt(holder)
      expect(yield* lock.withLock(Effect.succeed(1))).toBe(1)
    })
  )

  it.effect(
    "loop: turns wait for the holder and are waited for; the lock is released when the loop ends inside a turn",
    () =>
      Effect.gen(function* () {
        const lock = Lock.make()
        const log: Array<string> = []
        const gate = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(
          lock.withLock(
            Effect.zipRight(
              Deferred.await(gate),
              Effect.sync(() => log.push("holder"))
            )
          )
        )
        yield* Effect.yieldNow()
        const looping = yield* Effect.fork(
          lock.loop((turn) =>
            Effect.suspend(() =>
              turn(
                () => Effect.sync(() => log.push("turn 1")),
                () =>
                  turn(
                    () => Effect.sync(() => log.push("turn 2")),
                    () =>
                      turn(
                        () => Effect.never,
                        () => Effect.void
                      )
                  )
              )
            )
          )
        )
        yield* Effect.yieldNow()
        expect(log).toEqual([])
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holder)
        yield* Effect.yieldNow()
        expect(log).toEqual(["holder", "turn 1", "turn 2"])
        const waiter = yield* Effect.fork(lock.withLock(Effect.sync(() => log.push("after"))))
        yield* Effect.yieldNow()
        expect(log).toHaveLength(3)
        yield* Fiber.interrupt(looping)
        yield* Fiber.join(waiter)
        expect(log.at(-1)).toBe("after")
        expect(
          yield* lock.loop((turn) =>
            Effect.suspend(() =>
              turn(
                () => Effect.void,
                () => Effect.succeed(2)
              )
            )
          )
        ).toBe(2)
      })
  )
})
