import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as WorkQueue from "./WorkQueue.js"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** Takes the next key and marks it done. */
const take = (queue: WorkQueue.WorkQueue<string>) =>
  Effect.gen(function* () {
    const key = yield* queue.get
    if (Option.isSome(key)) yield* queue.done(key.value)
    return Option.getOrUndefined(key)
  })

/** True when the key shows up in the queue exactly `millis` of virtual time from now (not 1 ms earlier). */
const queuedAfter = (queue: WorkQueue.WorkQueue<string>, millis: number) =>
  Effect.gen(function* () {
    yield* TestClock.adjust(millis - 1)
    yield* settle
    const early = yield* queue.len
    yield* TestClock.adjust(1)
    yield* settle
    return early === 0 && (yield* queue.len) > 0
  })

describe("WorkQueue", () => {
  it.scoped("queues a key once however often it is added", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      yield* queue.add("b")
      yield* queue.add("a")
      expect(yield* queue.len).toBe(2)
      expect(yield* take(queue)).toBe("a")
      expect(yield* take(queue)).toBe("b")
      expect(yield* queue.len).toBe(0)
    })
  )

  it.scoped("never hands out a key being processed; re-queues it on done when added meanwhile", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      const key = yield* queue.get
      expect(Option.getOrUndefined(key)).toBe("a")
      yield* queue.add("a")
      yield* queue.add("a")
      expect(yield* queue.len).toBe(0)
      yield* queue.done("a")
      expect(yield* queue.len).toBe(1)
      expect(yield* take(queue)).toBe("a")
      // Done without an add in between: nothing is re-queued.
      expect(yield* queue.len).toBe(0)
    })
  )

  it.scoped("get waits for a key without polling", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const waiter = yield* Effect.fork(queue.get)
      yield* settle
      expect(Option.isNone(yield* Fiber.poll(waiter))).toBe(true)
      yield* queue.add("x")
      expect(Option.getOrUndefined(yield* Fiber.join(waiter))).toBe("x")
    })
  )

  it.scoped("two getters never receive the same key", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const first = yield* Effect.fork(queue.get)
      const second = yield* Effect.fork(queue.get)
      yield* settle
      yield* queue.add("k")
      yield* queue.add("k")
      yield* settle
      const answers = [yield* Fiber.poll(first), yield* Fiber.poll(second)].filter(Option.isSome)
      expect(answers).toHaveLength(1)
      yield* queue.done("k")
      yield* queue.add("l")
      yield* settle
      expect(Option.isSome(yield* Fiber.poll(first)) && Option.isSome(yield* Fiber.poll(second))).toBe(true)
    })
  )

  it.scoped("addAfter adds once the delay has passed; pending delays of a key collapse to the earliest", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("k", "10 seconds")
      yield* queue.addAfter("k", "2 seconds")
      yield* queue.addAfter("k", "5 seconds")
      yield* TestClock.adjust("1999 millis")
      yield* settle
      expect(yield* queue.len).toBe(0)
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(yield* queue.len).toBe(1)
      expect(yield* take(queue)).toBe("k")
      yield* TestClock.adjust("20 seconds")
      yield* settle
      expect(yield* queue.len).toBe(0)
      // A zero delay adds at once.
      yield* queue.addAfter("z", 0)
      expect(yield* queue.len).toBe(1)
    })
  )

  it.scoped("addRateLimited backs off exponentially per key up to the cap; forget resets", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make({ maxDelay: "40 millis" })
      for (const delay of [5, 10, 20, 40, 40]) {
        yield* queue.addRateLimited("k")
        expect(yield* queuedAfter(queue, delay)).toBe(true)
        yield* take(queue)
      }
      expect(yield* queue.numRequeues("k")).toBe(5)
      // Another key has its own count.
      expect(yield* queue.numRequeues("other")).toBe(0)
      yield* queue.forget("k")
      expect(yield* queue.numRequeues("k")).toBe(0)
      yield* queue.addRateLimited("k")
      expect(yield* queuedAfter(queue, 5)).toBe(true)
    })
  )

  it.scoped("the default per-key cap is 1000 s", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make({ qps: 1e9 })
      yield* queue.addRateLimited("k")
      for (let i = 0; i < 29; i++) {
        yield* TestClock.adjust("1001 seconds")
        yield* settle
        yield* take(queue)
        yield* queue.addRateLimited("k")
      }
      yield* TestClock.adjust("999 seconds")
      yield* settle
      expect(yield* queue.len).toBe(0)
      yield* TestClock.adjust("1 seconds")
      yield* settle
      expect(yield* take(queue)).toBe("k")
    })
  )

  it.scoped("the overall bucket limits many keys (burst, then qps)", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make({ baseDelay: 0, qps: 2, burst: 3 })
      for (const key of ["a", "b", "c", "d", "e"]) yield* queue.addRateLimited(key)
      yield* settle
      expect(yield* queue.len).toBe(3)
      yield* TestClock.adjust("499 millis")
      yield* settle
      expect(yield* queue.len).toBe(3)
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(yield* queue.len).toBe(4)
      yield* TestClock.adjust("500 millis")
      yield* settle
      expect(yield* queue.len).toBe(5)
      // Tokens refill with time: after 1.5 s idle, three keys pass at once again.
      yield* TestClock.adjust("1500 millis")
      for (const key of ["f", "g", "h"]) yield* queue.addRateLimited(key)
      yield* settle
      expect(yield* queue.len).toBe(8)
    })
  )

  it.scoped("the larger of the per-key and the bucket delay wins", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make({ baseDelay: "100 millis", qps: 1, burst: 1 })
      // The bucket has its token: the key's own 100 ms decide.
      yield* queue.addRateLimited("a")
      expect(yield* queuedAfter(queue, 100)).toBe(true)
      yield* take(queue)
      // The bucket refilled only 0.1 token in those 100 ms: it decides (900 ms).
      yield* queue.addRateLimited("b")
      expect(yield* queuedAfter(queue, 900)).toBe(true)
    })
  )

  it.scoped("shutdown: queued keys drain, then get answers None; new and delayed adds are dropped", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      yield* queue.add("b")
      yield* queue.addAfter("later", "1 seconds")
      yield* queue.shutdown
      yield* queue.add("c")
      expect(yield* take(queue)).toBe("a")
      expect(yield* take(queue)).toBe("b")
      yield* TestClock.adjust("2 seconds")
      yield* settle
      expect(Option.isNone(yield* queue.get)).toBe(true)
      expect(Option.isNone(yield* queue.get)).toBe(true)
    })
  )

  it.effect("a waiting get answers None when the queue's scope closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const queue = yield* Scope.extend(WorkQueue.make(), scope)
      const waiter = yield* Effect.fork(queue.get)
      yield* settle
      yield* Scope.close(scope, Exit.void)
      expect(Option.isNone(yield* Fiber.join(waiter))).toBe(true)
    })
  )
  it.scoped("a queued key wakes one waiting worker; one interrupted after its wake passes it on", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const workers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(queue.get))
      yield* settle
      yield* queue.add("a")
      yield* settle
      const done = yield* Effect.forEach(workers, (w) => Effect.map(w.poll, Option.isSome))
      expect(done.filter(Boolean)).toHaveLength(1)
      const waiting = workers.filter((_, i) => !done[i])
      // The next key's wake lands on a worker interrupted at once: the other one still gets the key.
      yield* queue.add("b")
      yield* Fiber.interrupt(waiting[0]!)
      yield* settle
      expect(yield* Fiber.join(waiting[1]!)).toEqual(Option.some("b"))
    })
  )
})
