import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { guaranteedUpdate } from "./guaranteedUpdate.js"
import * as MemoryStore from "./MemoryStore.js"
import type { Entry } from "./Store.js"

const count = (entry: Entry) => entry.value.count as number

describe("guaranteedUpdate", () => {
  it.effect("writes the new value computed from the current entry", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      const created = yield* store.create("/c", { count: 1 })
      const updated = yield* guaranteedUpdate(store, "/c", (current) => Effect.succeed({ count: count(current) + 1 }))
      expect(updated).toEqual({ ...created, value: { count: 2 }, modRevision: created.modRevision + 1 })
    })
  )

  it.effect("on a conflict, runs the update again on the entry written meanwhile", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      yield* store.create("/c", { count: 1 })
      const seen: Array<number> = []
      const updated = yield* guaranteedUpdate(store, "/c", (current) =>
        Effect.gen(function* () {
          seen.push(count(current))
          if (seen.length === 1) yield* store.update("/c", { count: 10 }, current.modRevision)
          return { count: count(current) + 1 }
        })
      )
      expect(seen).toEqual([1, 10])
      expect(updated.value).toEqual({ count: 11 })
    })
  )

  it.effect("gives up with RevisionConflict after maxRetries retries", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      yield* store.create("/c", { count: 0 })
      let calls = 0
      const error = yield* Effect.flip(
        guaranteedUpdate(
          store,
          "/c",
          (current) =>
            Effect.gen(function* () {
              calls++
              yield* store.update("/c", { count: calls }, current.modRevision)
              return { count: -1 }
            }),
          undefined,
          { maxRetries: 3 }
        )
      )
      expect(error._tag).toBe("RevisionConflict")
      expect(calls).toBe(4)
    })
  )

  it.effect("writes nothing when the update returns the current value", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      const created = yield* store.create("/c", { count: 1 })
      expect(yield* guaranteedUpdate(store, "/c", (current) => Effect.succeed(current.value))).toBe(created)
      expect(yield* store.revision).toBe(created.modRevision)
    })
  )

  it.effect("fails with KeyNotFound for a missing key and passes the update's own error through", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      const missing = yield* Effect.flip(guaranteedUpdate(store, "/none", (current) => Effect.succeed(current.value)))
      expect(missing._tag).toBe("KeyNotFound")
      yield* store.create("/c", { count: 1 })
      const refused = yield* Effect.flip(guaranteedUpdate(store, "/c", () => Effect.fail("invalid" as const)))
      expect(refused).toBe("invalid")
      expect(yield* store.revision).toBe(1)
    })
  )

  it.effect("concurrent increments are never lost", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      yield* store.create("/c", { count: 0 })
      const increment = guaranteedUpdate(
        store,
        "/c",
        (current) => Effect.as(Effect.yieldNow(), { count: count(current) + 1 }),
        undefined,
        { maxRetries: 100 }
      )
      yield* Effect.all(
        Array.from({ length: 50 }, () => increment),
        { concurrency: "unbounded" }
      )
      expect(count(yield* store.get("/c"))).toBe(50)
    })
  )
})
