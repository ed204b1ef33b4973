import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import type { KubeObject } from "../api/meta.js"
import * as WorkQueue from "../informer/WorkQueue.js"
import * as Controller from "./Controller.js"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** Moves virtual time and lets fibers run. */
const advance = (millis: number) => Effect.zipRight(TestClock.adjust(millis), settle)

const quiet = Logger.withMinimumLogLevel(LogLevel.None)

describe("Controller.run", () => {
  it.scoped("retries a failing key with growing delays, then forgets it", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const attempts: Array<number> = []
      yield* Controller.run({ name: "test", queue }, (key) =>
        Effect.gen(function* () {
          attempts.push(yield* Clock.currentTimeMillis)
          if (attempts.length <= 4) return yield* Effect.fail(`not yet: ${key}`)
        })
      )
      yield* queue.add("a")
      yield* settle
      // 5 ms, 10 ms, 20 ms, 40 ms apart (client-go's per-item backoff), then success.
      for (const gap of [5, 10, 20, 40]) {
        const before = attempts.length
        yield* advance(gap - 1)
        expect(attempts).toHaveLength(before)
        yield* advance(1)
      }
      yield* advance(100)
      expect(attempts).toEqual([0, 5, 15, 35, 75])
      expect(yield* queue.numRequeues("a")).toBe(0)
    }).pipe(quiet)
  )

  it.scoped("a reconcile that dies is retried like a failure and the worker lives on", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const seen: Array<string> = []
      yield* Controller.run({ name: "test", queue }, (key) =>
        Effect.suspend(() => {
          seen.push(key)
          return key === "a" && seen.filter((k) => k === "a").length === 1 ? Effect.die("boom") : Effect.void
        })
      )
      yield* queue.add("a")
      yield* queue.add("b")
      yield* settle
      expect(seen).toEqual(["a", "b"])
      expect(yield* queue.numRequeues("a")).toBe(1)
      yield* advance(5)
      expect(seen).toEqual(["a", "b", "a"])
      expect(yield* queue.numRequeues("a")).toBe(0)
    }).pipe(quiet)
  )

  it.scoped("requeueAfter reconciles the key again after the delay", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const attempts: Array<number> = []
      yield* Controller.run({ name: "test", queue }, () =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          attempts.push(now)
          return { requeueAfter: "30 seconds" }
        })
      )
      yield* queue.add("a")
      yield* settle
      for (let i = 0; i < 3; i++) {
        yield* TestClock.adjust("30 seconds")
        yield* settle
      }
      expect(attempts).toEqual([0, 30_000, 60_000, 90_000])
    })
  )

  it.scoped("workers reconcile different keys at once but one key never twice at once", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const running = new Set<string>()
      let overlapping = false
      let peak = 0
      const done: Array<string> = []
      yield* Controller.run({ name: "test", queue, workers: 3 }, (key) =>
        Effect.gen(function* () {
          if (running.has(key)) overlapping = true
          running.add(key)
          peak = Math.max(peak, running.size)
          yield* Effect.sleep("1 seconds")
          running.delete(key)
          done.push(key)
        })
      )
      yield* queue.add("a")
      yield* queue.add("b")
      yield* settle
      // "a" changes while it is being reconciled: it is reconciled again afterwards, not alongside.
      yield* queue.add("a")
      yield* settle
      yield* TestClock.adjust("1 seconds")
      yield* settle
      expect(peak).toBe(2)
      expect(done.sort()).toEqual(["a", "b"])
      yield* TestClock.adjust("1 seconds")
      yield* settle
      expect(done).toEqual(["a", "b", "a"])
      expect(overlapping).toBe(false)
    })
  )

  it.effect("closing the scope stops the workers and shuts the queue down", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const queue = yield* Scope.extend(WorkQueue.make(), scope)
      const seen: Array<string> = []
      yield* Scope.extend(
        Controller.run({ name: "test", queue }, (key) => Effect.sync(() => void seen.push(key))),
        scope
      )
      yield* queue.add("a")
      yield* settle
      yield* Scope.close(scope, Exit.void)
      yield* queue.add("b")
      yield* settle
      expect(seen).toEqual(["a"])
      expect(Option.isNone(yield* queue.get)).toBe(true)
    })
  )
})

describe("Controller.enqueueHandler", () => {
  const pod = (namespace: string | undefined, name: string): KubeObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: namespace === undefined ? { name } : { name, namespace }
  })

  it.scoped("queues namespace/name keys on add, update and delete", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const handler = Controller.enqueueHandler(queue)
      yield* handler.onAdd!(pod("default", "a"), true)
      yield* handler.onUpdate!(pod("default", "a"), pod("default", "b"))
      yield* handler.onDelete!(pod(undefined, "node-1"), false)
      const keys: Array<string> = []
      while ((yield* queue.len) > 0) keys.push(Option.getOrThrow(yield* queue.get))
      expect(keys).toEqual(["default/a", "default/b", "node-1"])
    })
  )

  it.scoped("takes a key function (e.g. the owner's key)", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const handler = Controller.enqueueHandler<KubeObject>(queue, (obj) => `owner-of-${obj.metadata.name}`)
      yield* handler.onAdd!(pod("default", "a"), false)
      expect(Option.getOrThrow(yield* queue.get)).toBe("owner-of-a")
    })
  )
})
