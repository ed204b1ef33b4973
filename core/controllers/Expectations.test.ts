import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as Expectations from "./Expectations.js"

describe("ControllerExpectations", () => {
  it.effect("a key without expectations is satisfied", () =>
    Effect.gen(function* () {
      const e = yield* Expectations.make
      expect(yield* e.satisfied("ns/rs")).toBe(true)
      expect(yield* e.expiresIn("ns/rs")).toBeUndefined()
    })
  )

  it.effect("creations are pending until each is observed", () =>
    Effect.gen(function* () {
      const e = yield* Expectations.make
      yield* e.expectCreations("ns/rs", 2)
      expect(yield* e.satisfied("ns/rs")).toBe(false)
      yield* e.creationObserved("ns/rs")
      expect(yield* e.satisfied("ns/rs")).toBe(false)
      yield* e.creationObserved("ns/rs")
      expect(yield* e.satisfied("ns/rs")).toBe(true)
      expect(e.get("ns/rs")).toMatchObject({ add: 0, del: 0 })
      // Other keys are independent.
      expect(yield* e.satisfied("ns/other")).toBe(true)
    })
  )

  it.effect("deletions are tracked by object key: unexpected or repeated observations do not count", () =>
    Effect.gen(function* () {
      const e = yield* Expectations.make
      yield* e.expectDeletions("ns/rs", ["ns/a", "ns/b"])
      yield* e.deletionObserved("ns/rs", "ns/zzz")
      yield* e.deletionObserved("ns/rs", "ns/a")
      yield* e.deletionObserved("ns/rs", "ns/a")
      expect(yield* e.satisfied("ns/rs")).toBe(false)
      expect(e.get("ns/rs")).toMatchObject({ add: 0, del: 1 })
      yield* e.deletionObserved("ns/rs", "ns/b")
      expect(yield* e.satisfied("ns/rs")).toBe(true)
    })
  )

  it.effect("setting expectations replaces the earlier ones", () =>
    Effect.gen(function* () {
      const e = yield* Expectations.make
      yield* e.expectDeletions("ns/rs", ["ns/a"])
      yield* e.expectCreations("ns/rs", 1)
      expect(e.get("ns/rs")).toMatchObject({ add: 1, del: 0 })
      yield* e.deletionObserved("ns/rs", "ns/a")
      expect(e.get("ns/rs")).toMatchObject({ add: 1, del: 0 })
    })
  )

  it.effect("unfulfilled expectations expire after five minutes on the Clock", () =>
    Effect.gen(function* () {
      const e = yield* Expectations.make
      yield* e.expectCreations("ns/rs", 3)
      yield* TestClock.adjust("4 minutes")
      expect(yield* e.satisfied("ns/rs")).toBe(false)
      expect(yield* e.expiresIn("ns/rs")).toBe(60_000)
      yield* TestClock.adjust("60001 millis")
      expect(yield* e.satisfied("ns/rs")).toBe(true)
    })
  )

  it.effect("deleteExpectations forgets the key", () =>
    Effect.gen(function* () {
      const e = yield* Expectations.make
      yield* e.expectCreations("ns/rs", 3)
      yield* e.deleteExpectations("ns/rs")
      expect(yield* e.satisfied("ns/rs")).toBe(true)
      expect(e.get("ns/rs")).toBeUndefined()
    })
  )
})
